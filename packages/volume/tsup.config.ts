import { voxnasTsup } from '../../tsup.base';

// nifti-reader-js is ESM-only: bundle it so the CJS build can `require` this package. '@voxnas/volume'
// stays external so the node entry shares the main entry's classes.
export default voxnasTsup({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  noExternal: ['nifti-reader-js'],
  external: ['@voxnas/volume'],
});
