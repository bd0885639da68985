// Node-only part of @voxnas/ops: weights as files. Everything else of the package is browser-safe.
export { saveWeights, loadWeights } from './weights-files.js';
