import { voxnasTsup } from '../../tsup.base';

// The library entry as ESM + CJS; the `voxnas` bin as ESM only (it uses top-level await).
export default [
  voxnasTsup(),
  voxnasTsup({ entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false }),
];
