// @voxnas/core: the browser-safe foundation (no dependencies, no I/O). Node-only atomic writes are in
// '@voxnas/core/node'. See docs/architecture.md.
export { VoxnasError, InvalidArgumentError, ShapeMismatchError, FormatError } from './errors.js';
export { Rng, hashString } from './rng.js';
export type { RngState } from './rng.js';
export { isJsonObject } from './json.js';
export type { JsonValue, JsonObject } from './json.js';
export {
  identityMatrix4,
  multiplyAffine,
  invertAffine,
  determinant3,
  applyAffine,
  columnNorms,
  multiplyMatrix3,
  transposeMatrix3,
  invertMatrix3,
  polarOrthogonal3,
} from './affine.js';
export type { Matrix4 } from './affine.js';
export { editDistance, closestMatch, didYouMean } from './closest-match.js';
export { softmax, normalizedEntropy } from './softmax.js';
