import { voxnasTsup } from '../../tsup.base';

// nifti-reader-js is ESM-only: bundle it so the CJS build can `require` this package.
export default voxnasTsup({ noExternal: ['nifti-reader-js'] });
