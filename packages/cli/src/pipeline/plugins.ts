import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { VoxnasConfig } from '../config.js';
import { ConfigError } from '../errors.js';

/** A plugin given as a file path (`./x.mjs`, `../x.js`, `/abs/x.mjs`) rather than a package name. */
function isPath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/** The config with file plugins made absolute (against the working directory), as a run saves it. */
export function absolutePlugins(cfg: VoxnasConfig): VoxnasConfig {
  return { ...cfg, plugins: cfg.plugins.map((p) => (isPath(p) ? resolve(p) : p)) };
}

const loaded = new Set<string>();

/**
 * Imports the config's plugins (once per process each), so the operators they register exist before
 * a search space or network is built. A plugin that fails to import is a `ConfigError` naming it.
 */
export async function loadPlugins(cfg: VoxnasConfig): Promise<void> {
  for (const spec of cfg.plugins) {
    const target = isPath(spec) ? pathToFileURL(resolve(spec)).href : spec;
    if (loaded.has(target)) continue;
    try {
      await import(/* @vite-ignore */ target);
    } catch (cause) {
      // a bare name is a package, as for import(); say so when a file of that name exists
      const hint = !isPath(spec) && existsSync(resolve(spec)) ? ` (a file? write './${spec}')` : '';
      throw new ConfigError(`config: plugin '${spec}' failed to load${hint}: ${(cause as Error).message.split('\n')[0]}`, { cause });
    }
    loaded.add(target);
  }
}
