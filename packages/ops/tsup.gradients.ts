import { defineConfig } from 'tsup';

/**
 * `gradients/index.{js,cjs}`: tfjs-core's own `register_all_gradients` bundled into one plain module,
 * so Node (ESM or CJS) can register TensorFlow.js's gradients without the `@tensorflow/tfjs` umbrella
 * (tfjs-core's ESM files use extension-less imports that plain Node cannot load). The tfjs-core
 * internals it pulls in are bundled the way the umbrella's own Node bundle does it; they share the
 * engine and the gradient registry with the installed `@tensorflow/tfjs-core` through tfjs's global
 * namespace. Built by `build`, and by `prepare` when missing (so tests from source find it on a
 * fresh clone; `pnpm pack` runs `prepare` too).
 */
export default defineConfig({
  entry: { index: 'src/internal/tfjs-gradients-entry.ts' },
  outDir: 'gradients',
  format: ['esm', 'cjs'],
  dts: false,
  sourcemap: false,
  // Not cleaned: files are overwritten in place, so processes reading the bundle meanwhile never see
  // it missing.
  clean: false,
  target: 'node20',
  splitting: false,
  treeshake: true,
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
