// @voxnas/ops/gradients registers TensorFlow.js gradients as a side effect; it exports nothing.
export {};
