import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILTIN_OPERATORS, listOperators } from '@voxnas/ops';
import type { VoxnasConfig } from '../config.js';
import { ConfigError, PluginError } from '../errors.js';

/** A plugin given as a file path (`./x.mjs`, `../x.js`, `/abs/x.mjs`) rather than a package name. */
function isPath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/** The config with file plugins made absolute (against the working directory), as a run saves it. */
export function absolutePlugins(cfg: VoxnasConfig): VoxnasConfig {
  return { ...cfg, plugins: cfg.plugins.map((p) => (isPath(p) ? resolve(p) : p)) };
}

/** Operators each imported plugin registered (by import target), so exports can record where operators come from. */
const loaded = new Map<string, readonly string[]>();

function registeredNames(): Set<string> {
  return new Set(listOperators().map((o) => o.name));
}

async function importPlugin(spec: string, onError: (cause: unknown) => never): Promise<readonly string[]> {
  const target = isPath(spec) ? pathToFileURL(resolve(spec)).href : spec;
  const known = loaded.get(target);
  if (known !== undefined) return known;
  const before = registeredNames();
  try {
    await import(/* @vite-ignore */ target);
  } catch (cause) {
    onError(cause);
  }
  const added = [...registeredNames()].filter((n) => !before.has(n));
  loaded.set(target, added);
  return added;
}

/**
 * Imports the config's plugins (once per process each), so the operators they register exist before
 * a search space or network is built. A plugin that fails to import is a `ConfigError` naming it.
 */
export async function loadPlugins(cfg: VoxnasConfig): Promise<void> {
  for (const spec of cfg.plugins) {
    await importPlugin(spec, (cause) => {
      // a bare name is a package, as for import(); say so when a file of that name exists
      const hint = !isPath(spec) && existsSync(resolve(spec)) ? ` (a file? write './${spec}')` : '';
      throw new ConfigError(`config: plugin '${spec}' failed to load${hint}: ${(cause as Error).message.split('\n')[0]}`, { cause });
    });
  }
}

/**
 * Where custom operators of an exported model come from: a plugin file (absolute path and the
 * sha256 of its content) or a package (name and version), with the operators it registered.
 */
export type PluginRecord =
  | { readonly kind: 'file'; readonly path: string; readonly sha256: string; readonly operators: readonly string[] }
  | { readonly kind: 'package'; readonly name: string; readonly version: string | null; readonly operators: readonly string[] };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The version in the package.json of an installed package (resolved from `from`), or null. */
function packageVersion(name: string, from: string): string | null {
  const req = createRequire(join(from, 'noop.js'));
  try {
    return (JSON.parse(readFileSync(req.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    // exports maps often hide package.json: walk up from the entry point
    try {
      let dir = dirname(fileURLToPath(import.meta.resolve(name)));
      for (;;) {
        const f = join(dir, 'package.json');
        if (existsSync(f)) {
          const pkg = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
          if (pkg.name === name) return pkg.version ?? null;
        }
        const up = dirname(dir);
        if (up === dir) return null;
        dir = up;
      }
    } catch {
      return null;
    }
  }
}

/**
 * Records the config's plugins (imported if they were not) for a model card: each with the
 * operators it registered, and its sha256 (file) or version (package).
 */
export async function recordPlugins(cfg: VoxnasConfig): Promise<PluginRecord[]> {
  await loadPlugins(cfg);
  const records: PluginRecord[] = [];
  for (const spec of cfg.plugins) {
    const target = isPath(spec) ? pathToFileURL(resolve(spec)).href : spec;
    const operators = [...(loaded.get(target) ?? [])];
    if (isPath(spec)) {
      const path = resolve(spec);
      records.push({ kind: 'file', path, sha256: sha256(await readFile(path)), operators });
    } else {
      records.push({ kind: 'package', name: spec, version: packageVersion(spec, process.cwd()), operators });
    }
  }
  return records;
}

function describeRecord(r: PluginRecord): string {
  const ops = r.operators.length ? ` (operators ${r.operators.map((o) => `"${o}"`).join(', ')})` : '';
  return r.kind === 'file' ? `plugin file ${r.path}${ops}` : `plugin package '${r.name}'${r.version ? `@${r.version}` : ''}${ops}`;
}

/**
 * Loads the plugins recorded in an exported model's card before its network is rebuilt. A missing
 * file or package, a file whose sha256 differs, a package of another version, or an operator the
 * network needs that no plugin registered raises a `PluginError` naming exactly which module.
 */
export async function loadRecordedPlugins(options: {
  readonly plugins: readonly PluginRecord[] | undefined;
  /** Operator names the network uses (genotype choices); each must be registered afterwards. */
  readonly operators: readonly string[];
  /** `model <dir>` — what the messages start with. */
  readonly source: string;
}): Promise<void> {
  const { source } = options;
  for (const r of options.plugins ?? []) {
    if (r.kind === 'file') {
      if (!existsSync(r.path)) {
        throw new PluginError(`${source}: needs ${describeRecord(r)}, which is missing; restore it at that path (sha256 ${r.sha256})`);
      }
      const got = sha256(await readFile(r.path));
      if (got !== r.sha256) {
        throw new PluginError(`${source}: ${describeRecord(r)} has changed since export: sha256 is ${got}, expected ${r.sha256}; restore the file the model was exported with`);
      }
      await importPlugin(r.path, (cause) => {
        throw new PluginError(`${source}: ${describeRecord(r)} failed to load: ${(cause as Error).message.split('\n')[0]}`, { cause });
      });
    } else {
      const version = packageVersion(r.name, process.cwd());
      if (version === null && !canResolve(r.name)) {
        throw new PluginError(`${source}: needs ${describeRecord(r)}, which is not installed; npm install ${r.name}${r.version ? `@${r.version}` : ''}`);
      }
      if (r.version !== null && version !== null && version !== r.version) {
        throw new PluginError(`${source}: ${describeRecord(r)} is installed as version ${version}, expected ${r.version}; npm install ${r.name}@${r.version}`);
      }
      await importPlugin(r.name, (cause) => {
        throw new PluginError(`${source}: ${describeRecord(r)} failed to load: ${(cause as Error).message.split('\n')[0]}`, { cause });
      });
    }
  }
  const known = registeredNames();
  const builtin = new Set(BUILTIN_OPERATORS.map((o) => o.name));
  const missing = [...new Set(options.operators)].filter((o) => !known.has(o) && !builtin.has(o));
  if (missing.length > 0) {
    const recorded = (options.plugins ?? []).map(describeRecord);
    throw new PluginError(
      `${source}: the network uses operator(s) ${missing.map((o) => `"${o}"`).join(', ')} that no recorded plugin registers` +
        (recorded.length ? ` (recorded: ${recorded.join('; ')})` : ' (the model records no plugins)') +
        '; export it again from a run whose config lists the plugin module',
    );
  }
}

function canResolve(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}
