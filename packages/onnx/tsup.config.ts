import { voxnasTsup } from '../../tsup.base';

// onnx-buf (the generated ONNX schema) is ESM-only: bundle it so the CJS build needs no require(esm).
export default voxnasTsup({ noExternal: ['onnx-buf'] });
