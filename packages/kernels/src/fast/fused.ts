import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { accel } from '../internal/state.js';
import { f32, sizeOf } from './common.js';

/**
 * Fused kernels: new tfjs kernel names (not replacements) that @voxnas/ops calls when they are
 * registered on the active backend, with their gradients. Their names and contracts are part of
 * the public interface between the two packages:
 *
 * - `VoxnasGroupNorm` — inputs `{x, gamma, beta}`, attrs `{groups, eps}`. `x` is float32
 *   `[n, …spatial, c]` (rank ≥ 3), `gamma`/`beta` `[c]`; statistics per sample over the spatial
 *   axes and the `c / groups` channels of each group (`groups = c` is instance norm). Outputs
 *   `[y, mean, invStd]`, the last two `[n, groups]` (saved for the gradient).
 * - `VoxnasGroupNormGrad` — inputs `{dy, x, mean, invStd, gamma}`, attrs `{groups}`; outputs
 *   `[dx, dGamma, dBeta]`.
 * - `VoxnasReluGrad` — inputs `{dy, x}`; `dy · step(x)` as tfjs defines ReLU's gradient.
 */
export const GROUP_NORM = 'VoxnasGroupNorm';
export const GROUP_NORM_GRAD = 'VoxnasGroupNormGrad';
export const RELU_GRAD = 'VoxnasReluGrad';

interface Layout {
  n: number;
  s: number;
  c: number;
  g: number;
  cg: number;
}

function layout(who: string, x: tf.TensorInfo, groups: unknown): Layout {
  if (x.dtype !== 'float32' || x.shape.length < 3) {
    throw new InvalidArgumentError(`${who}: x must be float32 [n, …spatial, c] of rank ≥ 3, got ${x.dtype} [${x.shape.join(', ')}]`);
  }
  const n = x.shape[0] as number;
  const c = x.shape[x.shape.length - 1] as number;
  const g = Number(groups);
  if (!Number.isInteger(g) || g < 1 || c % g !== 0) {
    throw new InvalidArgumentError(`${who}: groups is ${String(groups)}, expected a positive divisor of the ${c} channels`);
  }
  const size = sizeOf(x.shape);
  return { n, s: n * c === 0 ? 0 : size / (n * c), c, g, cg: c / g };
}

function vector(who: string, name: string, backend: MathBackendCPU, t: tf.TensorInfo | undefined, c: number): Float32Array {
  const v = f32(backend, t);
  if (!t || !v || v.length !== c) {
    throw new InvalidArgumentError(`${who}: ${name} must be float32 [${c}], got ${t ? `${t.dtype} [${t.shape.join(', ')}]` : 'nothing'}`);
  }
  return v;
}

function groupNorm({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: MathBackendCPU; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const who = GROUP_NORM;
  const { x, gamma, beta } = inputs;
  if (!x) throw new InvalidArgumentError(`${who}: missing input x`);
  const { n, s, c, g, cg } = layout(who, x, attrs?.groups);
  const eps = Number(attrs?.eps ?? 1e-5);
  const xv = f32(backend, x) as Float32Array;
  const gv = vector(who, 'gamma', backend, gamma, c);
  const bv = vector(who, 'beta', backend, beta, c);
  const y = new Float32Array(xv.length);
  const mean = new Float32Array(n * g);
  const invStd = new Float32Array(n * g);
  const native = accel.addon?.groupNormForward;
  if (native) {
    native(xv, gv, bv, y, mean, invStd, Int32Array.from([n, s, c, g]), eps);
    return [
      backend.makeTensorInfo(x.shape, 'float32', y),
      backend.makeTensorInfo([n, g], 'float32', mean),
      backend.makeTensorInfo([n, g], 'float32', invStd),
    ];
  }
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const shift = new Float64Array(c);
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const m = s * cg;
  for (let i = 0; i < n; i++) {
    const base = i * s * c;
    // Sums of x − k per channel, k the group's first value: exact enough in float64 even when
    // the mean is large against the spread.
    for (let ch = 0; ch < c; ch++) shift[ch] = s > 0 ? (xv[base + ch - (ch % cg)] as number) : 0;
    sum.fill(0);
    sq.fill(0);
    for (let p = base, end = base + s * c; p < end; p += c) {
      for (let ch = 0; ch < c; ch++) {
        const d = (xv[p + ch] as number) - (shift[ch] as number);
        sum[ch] = (sum[ch] as number) + d;
        sq[ch] = (sq[ch] as number) + d * d;
      }
    }
    for (let k = 0; k < g; k++) {
      let s1 = 0;
      let s2 = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        s1 += sum[ch] as number;
        s2 += sq[ch] as number;
      }
      const dm = m > 0 ? s1 / m : 0;
      const variance = m > 0 ? Math.max(s2 / m - dm * dm, 0) : 0;
      const mu = (shift[k * cg] as number) + dm;
      const is = 1 / Math.sqrt(variance + eps);
      mean[i * g + k] = mu;
      invStd[i * g + k] = is;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        a[ch] = is * (gv[ch] as number);
        b[ch] = (bv[ch] as number) - mu * (a[ch] as number);
      }
    }
    for (let p = base, end = base + s * c; p < end; p += c) {
      for (let ch = 0; ch < c; ch++) y[p + ch] = (xv[p + ch] as number) * (a[ch] as number) + (b[ch] as number);
    }
  }
  return [
    backend.makeTensorInfo(x.shape, 'float32', y),
    backend.makeTensorInfo([n, g], 'float32', mean),
    backend.makeTensorInfo([n, g], 'float32', invStd),
  ];
}

function groupNormGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: MathBackendCPU; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const who = GROUP_NORM_GRAD;
  const { dy, x, mean, invStd, gamma } = inputs;
  if (!x || !dy) throw new InvalidArgumentError(`${who}: missing input ${x ? 'dy' : 'x'}`);
  const { n, s, c, g, cg } = layout(who, x, attrs?.groups);
  const xv = f32(backend, x) as Float32Array;
  const dyv = f32(backend, dy);
  if (!dyv || dyv.length !== xv.length) {
    throw new InvalidArgumentError(`${who}: dy must be float32 [${x.shape.join(', ')}], got ${dy.dtype} [${dy.shape.join(', ')}]`);
  }
  const gv = vector(who, 'gamma', backend, gamma, c);
  const mv = vector(who, 'mean', backend, mean, n * g);
  const iv = vector(who, 'invStd', backend, invStd, n * g);
  const dx = new Float32Array(xv.length);
  const native = accel.addon?.groupNormBackward;
  if (native) {
    const dg = new Float32Array(c);
    const db = new Float32Array(c);
    native(dyv, xv, mv, iv, gv, dx, dg, db, Int32Array.from([n, s, c, g]));
    return [
      backend.makeTensorInfo(x.shape, 'float32', dx),
      backend.makeTensorInfo([c], 'float32', dg),
      backend.makeTensorInfo([c], 'float32', db),
    ];
  }
  const dGamma = new Float64Array(c);
  const dBeta = new Float64Array(c);
  const sdy = new Float64Array(c); // Σ dy per channel, this sample
  const sdyx = new Float64Array(c); // Σ dy·(x − μ) per channel, this sample
  const mu = new Float64Array(c);
  const p0 = new Float64Array(c);
  const q0 = new Float64Array(c);
  const r0 = new Float64Array(c);
  const m = s * cg;
  for (let i = 0; i < n; i++) {
    const base = i * s * c;
    for (let ch = 0; ch < c; ch++) mu[ch] = mv[i * g + Math.floor(ch / cg)] as number;
    sdy.fill(0);
    sdyx.fill(0);
    for (let p = base, end = base + s * c; p < end; p += c) {
      for (let ch = 0; ch < c; ch++) {
        const d = dyv[p + ch] as number;
        sdy[ch] = (sdy[ch] as number) + d;
        sdyx[ch] = (sdyx[ch] as number) + d * ((xv[p + ch] as number) - (mu[ch] as number));
      }
    }
    for (let k = 0; k < g; k++) {
      const is = iv[i * g + k] as number;
      // dx = is·(γ·dy − A − x̂·B), A = mean over the group of γ·dy, B = mean of γ·dy·x̂.
      let sa = 0;
      let sb = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        const gx = gv[ch] as number;
        sa += gx * (sdy[ch] as number);
        sb += gx * (sdyx[ch] as number) * is;
        dBeta[ch] = (dBeta[ch] as number) + (sdy[ch] as number);
        dGamma[ch] = (dGamma[ch] as number) + (sdyx[ch] as number) * is;
      }
      const A = m > 0 ? sa / m : 0;
      const B = m > 0 ? sb / m : 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        p0[ch] = is * (gv[ch] as number);
        q0[ch] = -is * is * B;
        r0[ch] = -is * A - (mu[ch] as number) * (q0[ch] as number);
      }
    }
    for (let p = base, end = base + s * c; p < end; p += c) {
      for (let ch = 0; ch < c; ch++) {
        dx[p + ch] = (dyv[p + ch] as number) * (p0[ch] as number) + (xv[p + ch] as number) * (q0[ch] as number) + (r0[ch] as number);
      }
    }
  }
  return [
    backend.makeTensorInfo(x.shape, 'float32', dx),
    backend.makeTensorInfo([c], 'float32', Float32Array.from(dGamma)),
    backend.makeTensorInfo([c], 'float32', Float32Array.from(dBeta)),
  ];
}

function reluGrad({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: MathBackendCPU }): tf.TensorInfo {
  const { dy, x } = inputs;
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!x || !dy || !xv || !dyv || xv.length !== dyv.length) {
    throw new InvalidArgumentError(`${RELU_GRAD}: dy and x must be float32 of one shape, got [${dy?.shape.join(', ')}] and [${x?.shape.join(', ')}]`);
  }
  const out = new Float32Array(xv.length);
  const native = accel.addon?.reluBackward;
  if (native) {
    native(dyv, xv, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  }
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i] as number;
    // dy · step(x) exactly as tfjs computes it (NaN·x and ±∞·0 included)
    out[i] = (dyv[i] as number) * (v > 0 ? 1 : v !== v ? NaN : 0);
  }
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

/**
 * The cpu kernel configs of the fused kernels. tfjs's KernelFunc types the backend as `{}`; these
 * functions take the MathBackendCPU they are registered for, which its typings cannot express.
 */
export const FUSED_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: GROUP_NORM, backendName: 'cpu', kernelFunc: groupNorm as unknown as tf.KernelFunc },
  { kernelName: GROUP_NORM_GRAD, backendName: 'cpu', kernelFunc: groupNormGrad as unknown as tf.KernelFunc },
  { kernelName: RELU_GRAD, backendName: 'cpu', kernelFunc: reluGrad as unknown as tf.KernelFunc },
];

/** The gradient of `VoxnasGroupNorm` (backend-independent: it calls `VoxnasGroupNormGrad`). */
export const GROUP_NORM_GRAD_CONFIG: tf.GradConfig = {
  kernelName: GROUP_NORM,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, mean, invStd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const dy = Array.isArray(dys) ? (dys[0] as tf.Tensor) : dys;
    const groups = attrs?.groups;
    if (groups === undefined) throw new InvalidArgumentError(`${GROUP_NORM} gradient: the forward call has no 'groups' attribute`);
    // Computed once, in the backward pass's scope; each input's gradient is one of the outputs.
    const [dx, dGamma, dBeta] = tf.engine().runKernel(GROUP_NORM_GRAD, { dy, x, mean, invStd, gamma }, { groups }) as tf.Tensor[];
    return { x: () => dx as tf.Tensor, gamma: () => dGamma as tf.Tensor, beta: () => dBeta as tf.Tensor };
  },
};

/**
 * ReLU's gradient, `dy · step(y)` with `y = relu(x)` — equal to tfjs's `dy · step(x)`, since `y > 0`
 * exactly where `x > 0` — served by `VoxnasReluGrad` (one pass, no intermediate step tensor) when the
 * active backend has it, and computed as tfjs does otherwise. It keeps the *output* for the backward
 * pass, as PyTorch does: the next layer (a convolution) keeps that same tensor, so a conv → norm → ReLU
 * block keeps two activations instead of three (the norm's output is freed after the forward pass).
 */
export const RELU_GRAD_CONFIG: tf.GradConfig = {
  kernelName: tf.Relu,
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved as [tf.Tensor];
    if (tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined) {
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x: y }) as tf.Tensor };
    }
    return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(y as tf.Tensor), 'float32')) };
  },
};
