import { defineConfig, type Options } from 'tsup';

/**
 * Shared tsup configuration: ESM + CJS + declarations + sourcemaps from `src/index.ts`.
 * `noExternal` lets a package bundle an ESM-only dependency into its CJS build.
 */
export function voxnasTsup(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
