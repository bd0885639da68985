import { parseArgs } from 'node:util';
import { VoxnasError } from '@voxnas/volume';
import { doctor, formatDoctor } from './commands/doctor.js';
import { formatInfo, info } from './commands/info.js';
import { UsageError } from './errors.js';

/** Where `main` writes; tests pass buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  info: {
    summary: 'describe a NIfTI volume or a run directory',
    usage: 'voxnas info <file.nii[.gz] | run-dir> [--json]',
    async run(args, io) {
      const { values, positionals } = parse(args, { json: { type: 'boolean' } }, 'info');
      if (positionals.length !== 1) throw new UsageError(`voxnas info: expected one path, got ${positionals.length}`);
      const r = await info(positionals[0]!);
      io.out(values.json ? JSON.stringify(r, null, 2) : formatInfo(r));
      return 0;
    },
  },
  doctor: {
    summary: 'report backend, native kernels, threads and versions',
    usage: 'voxnas doctor [--json]',
    async run(args, io) {
      const { values } = parse(args, { json: { type: 'boolean' } }, 'doctor');
      const r = await doctor();
      io.out(values.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
      return 0;
    },
  },
};

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O, command: string) {
  try {
    return parseArgs({ args, options: options as Options & O, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`voxnas ${command}: ${(cause as Error).message}`, { cause });
  }
}

function help(): string {
  const names = Object.keys(COMMANDS).sort();
  return [
    'voxnas — neural architecture search for 3D medical image segmentation',
    '',
    'usage: voxnas <command> [options]',
    '',
    ...names.map((n) => `  ${n.padEnd(10)} ${COMMANDS[n]!.summary}`),
    '',
    "Run 'voxnas <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0 success,
 * 1 a voxnas error (typed, message printed), 2 wrong usage, 70 an unexpected internal error.
 */
export async function main(argv: string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { packageVersions } = await import('./commands/doctor.js');
    io.out(packageVersions().voxnas ?? 'unknown');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`voxnas: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).sort().join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${cmd.usage}\n\n${cmd.summary}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    if (e instanceof VoxnasError) {
      io.err(`voxnas ${name}: ${e.name} [${e.code}]: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`voxnas ${name}: ${e.message}`);
      return 1;
    }
    io.err(`voxnas ${name}: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 70;
  }
}
