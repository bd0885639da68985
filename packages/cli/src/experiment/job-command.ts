import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How a job process starts voxnas: `node` and the arguments before the voxnas command. */
export interface VoxnasCommand {
  /** The Node executable. */
  readonly node: string;
  /** Node flags and the voxnas entry script (`…/dist/bin.js`, or `src/bin.ts` with tsx's loader from source). */
  readonly args: readonly string[];
}

function selfPath(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * The command that runs this very voxnas in a new process: the built `bin.js` next to the bundle, or
 * — when running from TypeScript source (tests, `pnpm voxnas`) — `src/bin.ts` under tsx's loader
 * (given by absolute path, so it works from any working directory). Node's memory flags are passed on.
 *
 * @example
 * const { node, args } = voxnasCommand();
 * spawn(node, [...args, 'experiment', 'exec-job', jobFile]);
 */
export function voxnasCommand(): VoxnasCommand {
  const self = selfPath();
  const memory = process.execArgv.filter((a) => a.startsWith('--max-old-space-size') || a.startsWith('--stack-size'));
  if (self.endsWith('.ts')) {
    const bin = join(dirname(self), '..', 'bin.ts');
    const tsx = createRequire(self).resolve('tsx');
    return { node: process.execPath, args: [...memory, '--import', pathToFileURL(tsx).href, '--conditions=@voxnas/source', bin] };
  }
  const bin = join(dirname(self), 'bin.js');
  if (!existsSync(bin)) throw new Error(`voxnasCommand: ${bin} does not exist (build the voxnas package)`);
  return { node: process.execPath, args: [...memory, bin] };
}
