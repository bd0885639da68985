import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Relu, Step, type TensorInfo } from '@tensorflow/tfjs-core';
import { accel } from '../internal/state.js';
import { f32, type FastBody } from './common.js';

/**
 * ReLU over a float32 tensor. tfjs-backend-cpu calls a closure per element (about 8 ns each
 * measured at 64³ × 16); this is one monomorphic loop, or the addon's threaded one while the
 * native kernels are registered. NaN stays NaN and −0 becomes +0, as in tfjs.
 */
const relu: FastBody = (inputs, backend: MathBackendCPU) => {
  const { x } = inputs as Record<string, TensorInfo>;
  const xv = f32(backend, x);
  if (!x || !xv) return null;
  const out = new Float32Array(xv.length);
  const native = accel.addon?.relu;
  if (native && xv.length > 0) {
    native(xv, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  }
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i] as number;
    out[i] = v > 0 ? v : v !== v ? v : 0; // +0 for −0, like Math.max(0, v)
  }
  return backend.makeTensorInfo(x.shape, 'float32', out);
};

/** Step: 1 where x > 0, `alpha` elsewhere, NaN for NaN (tfjs's definition), float32 in and out. */
const step: FastBody = (inputs, backend: MathBackendCPU, attrs) => {
  const { x } = inputs as Record<string, TensorInfo>;
  const xv = f32(backend, x);
  if (!x || !xv) return null;
  const alpha = Number(attrs.alpha ?? 0);
  const out = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i] as number;
    out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
  }
  return backend.makeTensorInfo(x.shape, 'float32', out);
};

/** Kernel bodies by tfjs kernel name. */
export const UNARY_BODIES: ReadonlyArray<readonly [string, FastBody]> = [
  [Relu, relu],
  [Step, step],
];
