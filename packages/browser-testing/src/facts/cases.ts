/**
 * The operator cases whose webgpu results are compared with cpu in the same page: small odd,
 * non-cubic NDHWC shapes, seeded inputs, forward outputs and gradients (through tf.grads with a
 * seeded upstream gradient `dy`).
 */
import { normalArray, tf, type HostTensor } from '../page/index.js';

/** A failure this case is known to show (the test asserts it is still there). */
export interface KnownFailure {
  /** `webgpu-wrong`: webgpu's values differ from cpu's; `cpu-throws`: cpu raises instead of computing. */
  kind: 'webgpu-wrong' | 'cpu-throws';
  /** A console text (e.g. the WGSL compile error) the failure must produce on webgpu. */
  webgpuMessage?: RegExp;
  /** One line for the facts table. */
  note: string;
}

/** tfjs-backend-webgpu 4.22 cannot compile its Pad shader for rank 5 (it indexes a `vec5` struct). */
export const RANK5_PAD: KnownFailure = {
  kind: 'webgpu-wrong',
  // The compile error is printed once; later uses report the cached invalid pipeline.
  webgpuMessage: /cannot index type 'vec5'|"PadProgram"/,
  note: "webgpu PadV2 on rank 5 fails to compile (WGSL: cannot index type 'vec5'): its output is zeros or a reused buffer's stale data, and the submission it is in is dropped",
};

export interface OpCase {
  /** Row label in the facts table. */
  name: string;
  known?: KnownFailure;
  /** What each output is (e.g. `y`, `dx`, `dw`). */
  outputs: string[];
  inputs: HostTensor[];
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

type Pad = 'same' | 'valid';
type V3 = [number, number, number];

let seed = 1;
/** A fresh seeded normal input of `shape` (seeds are consecutive, so the case list is deterministic). */
function input(shape: number[], scale = 1): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: normalArray(size, seed++, scale) };
}

function convOut(inp: number, k: number, s: number, d: number, pad: Pad): number {
  const eff = (k - 1) * d + 1;
  return pad === 'same' ? Math.ceil(inp / s) : Math.ceil((inp - eff + 1) / s);
}

/** x: [2, 5, 6, 7, 3] NDHWC; filters 3×3×3, 3 → 4 channels. */
export const X_SHAPE = [2, 5, 6, 7, 3];
const K = 3;
const C_OUT = 4;

function conv3dCases(): OpCase[] {
  const out: OpCase[] = [];
  const configs: { s: number; d: number; pad: Pad }[] = [
    { s: 1, d: 1, pad: 'same' },
    { s: 1, d: 1, pad: 'valid' },
    { s: 2, d: 1, pad: 'same' },
    { s: 2, d: 1, pad: 'valid' },
    { s: 1, d: 2, pad: 'same' },
    { s: 1, d: 2, pad: 'valid' },
  ];
  for (const { s, d, pad } of configs) {
    const x = input(X_SHAPE);
    const w = input([K, K, K, X_SHAPE[4]!, C_OUT], 0.3);
    const dil: V3 = [d, d, d];
    const label = `stride ${s}${d > 1 ? `, dilation ${d}` : ''}, '${pad}'`;
    out.push({
      name: `conv3d forward, ${label}`,
      outputs: ['y'],
      inputs: [x, w],
      fn: (a, b) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, s, pad, 'NDHWC', dil),
    });
    if (d > 1) continue; // tfjs has no gradient for dilated conv3d
    const yShape = [X_SHAPE[0]!, ...[1, 2, 3].map((i) => convOut(X_SHAPE[i]!, K, s, d, pad)), C_OUT];
    const dy = input(yShape);
    out.push({
      name: `conv3d gradients (dx, dw), ${label}`,
      outputs: ['dx', 'dw'],
      inputs: [x, w, dy],
      fn: (a, b, g) =>
        tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.conv3d(p as tf.Tensor5D, q as tf.Tensor5D, s, pad))(
          [a!, b!],
          g,
        ),
    });
  }
  return out;
}

function conv3dTransposeCases(): OpCase[] {
  const out: OpCase[] = [];
  const inC = 4;
  const outC = 2;
  for (const { s, pad } of [
    { s: 1, pad: 'same' as Pad },
    { s: 2, pad: 'same' as Pad },
    { s: 2, pad: 'valid' as Pad },
  ]) {
    const xShape = [2, 5, 6, 7, inC];
    const x = input(xShape);
    const w = input([K, K, K, outC, inC], 0.3);
    const spatial = [1, 2, 3].map((i) => (pad === 'same' ? xShape[i]! * s : (xShape[i]! - 1) * s + K));
    const outShape = [2, ...spatial, outC] as [number, number, number, number, number];
    out.push({
      name: `conv3dTranspose forward, stride ${s}, '${pad}' → [${outShape.join(',')}]`,
      outputs: ['y'],
      inputs: [x, w],
      fn: (a, b) => tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, outShape, s, pad),
    });
  }
  return out;
}

/** Host-side constant zero padding of an NDHWC array (so the pooling cases do not depend on tf.pad). */
function hostPad(h: HostTensor, pads: [number, number][]): HostTensor {
  const shape = h.shape.map((n, i) => n + pads[i]![0] + pads[i]![1]);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const [n0, d0, h0, w0, c0] = h.shape as [number, number, number, number, number];
  const [, D, H, W, C] = shape as [number, number, number, number, number];
  let k = 0;
  for (let n = 0; n < n0; n++)
    for (let d = 0; d < d0; d++)
      for (let y = 0; y < h0; y++)
        for (let x = 0; x < w0; x++)
          for (let c = 0; c < c0; c++) {
            const o =
              ((((n + pads[0]![0]) * D + d + pads[1]![0]) * H + y + pads[2]![0]) * W + x + pads[3]![0]) * C +
              c +
              pads[4]![0];
            values[o] = h.values[k++]!;
          }
  return { shape, values };
}

function poolCases(): OpCase[] {
  const out: OpCase[] = [];
  const configs: { k: number; s: number; pads: [number, number][] }[] = [
    // 2×2×2 stride 2 on [5,6,7]: pad the odd axes to [6,6,8] first.
    {
      k: 2,
      s: 2,
      pads: [
        [0, 0],
        [0, 1],
        [0, 0],
        [0, 1],
        [0, 0],
      ],
    },
    // 3×3×3 stride 1: pad 1 on each side (what 'same' would do), then 'valid'.
    {
      k: 3,
      s: 1,
      pads: [
        [0, 0],
        [1, 1],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    },
  ];
  for (const kind of ['maxPool3d', 'avgPool3d'] as const) {
    for (const { k, s, pads } of configs) {
      const x = input(X_SHAPE);
      const xp = hostPad(x, pads);
      const yShape = xp.shape.map((n, i) => (i === 0 || i === 4 ? n : Math.floor((n - k) / s) + 1));
      const dy = input(yShape);
      const pool = (p: tf.Tensor): tf.Tensor =>
        kind === 'maxPool3d'
          ? tf.maxPool3d(p as tf.Tensor5D, k, s, 'valid')
          : tf.avgPool3d(p as tf.Tensor5D, k, s, 'valid');
      const label = `${k}×${k}×${k} stride ${s}, 'valid' on an input padded beforehand`;
      out.push({
        name: `${kind} forward and gradient, ${label}`,
        outputs: ['y', 'dx'],
        inputs: [xp, dy],
        fn: (a, g) => [pool(a!), ...tf.grads((t: tf.Tensor) => pool(t))([a!], g)],
      });
      out.push({
        name: `${kind} forward and gradient, ${k}×${k}×${k} stride ${s}, tf.pad (rank 5) in the graph then 'valid'`,
        known: RANK5_PAD,
        outputs: ['y', 'dx'],
        // Fresh inputs: with the same ones, a failed shader can leave the previous case's correct
        // result in a reused GPU buffer, and the wrong output looks right.
        inputs: [input(X_SHAPE), input(yShape)],
        fn: (a, g) => {
          const f = (t: tf.Tensor): tf.Tensor => pool(tf.pad(t, pads));
          return [f(a!), ...tf.grads(f)([a!], g)];
        },
      });
    }
  }
  return out;
}

function normCases(): OpCase[] {
  const x = input(X_SHAPE, 2);
  const dy = input(X_SHAPE);
  const instanceNorm = (t: tf.Tensor): tf.Tensor => {
    const { mean, variance } = tf.moments(t, [1, 2, 3], true);
    return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5)));
  };
  return [
    {
      name: 'tf.moments over axes [1,2,3] (mean, variance)',
      outputs: ['mean', 'variance'],
      inputs: [x],
      fn: (a) => {
        const { mean, variance } = tf.moments(a!, [1, 2, 3], true);
        return [mean, variance];
      },
    },
    {
      name: 'instance norm from tf.moments: forward and dx',
      outputs: ['y', 'dx'],
      inputs: [x, dy],
      fn: (a, g) => [instanceNorm(a!), ...tf.grads((t: tf.Tensor) => instanceNorm(t))([a!], g)],
    },
  ];
}

function elementwiseCases(): OpCase[] {
  const x = input(X_SHAPE);
  const dy = input(X_SHAPE);
  const x3 = input(X_SHAPE, 3);
  return [
    {
      name: 'relu forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x, dy],
      fn: (a, g) => [tf.relu(a!), ...tf.grads((t: tf.Tensor) => tf.relu(t))([a!], g)],
    },
    {
      name: 'softmax over the last axis, forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x3, dy],
      fn: (a, g) => [tf.softmax(a!), ...tf.grads((t: tf.Tensor) => tf.softmax(t))([a!], g)],
    },
    {
      name: 'logSoftmax over the last axis, forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x3, dy],
      fn: (a, g) => [tf.logSoftmax(a!), ...tf.grads((t: tf.Tensor) => tf.logSoftmax(t))([a!], g)],
    },
  ];
}

function shapeCases(): OpCase[] {
  const x = input(X_SHAPE);
  const x2 = input([2, 5, 6, 7, 2]);
  const dyCat = input([2, 5, 6, 7, 5]);
  const dySlice = input([2, 3, 4, 4, 2]);
  const pads: [number, number][] = [
    [0, 0],
    [1, 2],
    [0, 1],
    [2, 0],
    [0, 0],
  ];
  const dyPad = input([2, 8, 7, 9, 3]);
  const dyT = input([2, 3, 5, 6, 7]);
  const begin = [0, 1, 1, 2, 1];
  const size = [2, 3, 4, 4, 2];
  return [
    {
      name: 'concat on the channel axis (rank 5), forward and gradients',
      outputs: ['y', 'da', 'db'],
      inputs: [x, x2, dyCat],
      fn: (a, b, g) => [
        tf.concat([a!, b!], 4),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.concat([p, q], 4))([a!, b!], g),
      ],
    },
    {
      name: 'slice (rank 5), forward',
      outputs: ['y'],
      inputs: [x],
      fn: (a) => tf.slice(a!, begin, size),
    },
    {
      name: "slice (rank 5), gradient (tfjs pads dy back to x's shape)",
      known: RANK5_PAD,
      outputs: ['dx'],
      inputs: [x, dySlice],
      fn: (a, g) => tf.grads((t: tf.Tensor) => tf.slice(t, begin, size))([a!], g),
    },
    {
      name: 'pad (rank 5, asymmetric), forward and gradient',
      known: RANK5_PAD,
      outputs: ['y', 'dx'],
      inputs: [x, dyPad],
      fn: (a, g) => [tf.pad(a!, pads), ...tf.grads((t: tf.Tensor) => tf.pad(t, pads))([a!], g)],
    },
    {
      name: 'pad (rank 5) done as rank 4: [N, D, H, W·C] with W padding × C, forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x, dyPad],
      fn: (a, g) => {
        const [n, d, h, w, c] = X_SHAPE as [number, number, number, number, number];
        const f = (t: tf.Tensor): tf.Tensor => {
          const p4 = tf.pad(tf.reshape(t, [n, d, h, w * c]), [
            pads[0]!,
            pads[1]!,
            pads[2]!,
            [pads[3]![0] * c, pads[3]![1] * c],
          ]);
          return tf.reshape(p4, [
            n,
            d + pads[1]![0] + pads[1]![1],
            h + pads[2]![0] + pads[2]![1],
            w + pads[3]![0] + pads[3]![1],
            c,
          ]);
        };
        return [f(a!), ...tf.grads(f)([a!], g)];
      },
    },
    {
      name: 'mirrorPad (rank 5, symmetric), forward',
      known: {
        kind: 'webgpu-wrong',
        webgpuMessage: /WGSL|Invalid/,
        note: 'webgpu MirrorPad on rank 5 fails to compile: zeros',
      },
      outputs: ['y'],
      inputs: [x],
      fn: (a) => tf.mirrorPad(a!, pads, 'symmetric'),
    },
    {
      name: 'transpose NDHWC → NCDHW, forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x, dyT],
      fn: (a, g) => [
        tf.transpose(a!, [0, 4, 1, 2, 3]),
        ...tf.grads((t: tf.Tensor) => tf.transpose(t, [0, 4, 1, 2, 3]))([a!], g),
      ],
    },
  ];
}

/** tfjs resizes only 4-D tensors: 3-D ×2 upsampling is built from 4-D resizes of reshaped slabs. */
export function upsample3d(t: tf.Tensor, kind: 'bilinear' | 'nearest', halfPixel = true): tf.Tensor {
  const [n, d, h, w, c] = t.shape as [number, number, number, number, number];
  const r = (u: tf.Tensor4D, size: [number, number]): tf.Tensor4D =>
    kind === 'bilinear'
      ? tf.image.resizeBilinear(u, size, false, halfPixel)
      : tf.image.resizeNearestNeighbor(u, size, false, halfPixel);
  const hw = r(tf.reshape(t, [n * d, h, w, c]) as tf.Tensor4D, [2 * h, 2 * w]);
  const dd = r(tf.reshape(hw, [n, d, 4 * h * w, c]) as tf.Tensor4D, [2 * d, 4 * h * w]);
  return tf.reshape(dd, [n, 2 * d, 2 * h, 2 * w, c]);
}

/** Nearest ×2 along D, H and W by duplicating each slice with concat on a new axis (rank 6), no resize op. */
export function nearestByConcat(t: tf.Tensor): tf.Tensor {
  let y = t;
  for (const axis of [1, 2, 3]) {
    const e = tf.expandDims(y, axis + 1);
    const doubled = tf.concat([e, e], axis + 1);
    const shape = [...y.shape];
    shape[axis] = shape[axis]! * 2;
    y = tf.reshape(doubled, shape);
  }
  return y;
}

function resizeCases(): OpCase[] {
  const [n, d, h, w, c] = X_SHAPE as [number, number, number, number, number];
  const x = input(X_SHAPE);
  const slab = (t: tf.Tensor): tf.Tensor4D => tf.reshape(t, [n * d, h, w, c]) as tf.Tensor4D;
  return [
    {
      name: 'resizeBilinear ×2 (half-pixel) on [N·D, H, W, C] slices, forward',
      outputs: ['y'],
      inputs: [x],
      fn: (a) => tf.image.resizeBilinear(slab(a!), [2 * h, 2 * w], false, true),
    },
    {
      name: 'resizeNearestNeighbor ×2 (half-pixel) on [N·D, H, W, C] slices, forward',
      outputs: ['y'],
      inputs: [x],
      fn: (a) => tf.image.resizeNearestNeighbor(slab(a!), [2 * h, 2 * w], false, true),
    },
    {
      name: 'trilinear ×2 3-D upsampling from two resizeBilinear passes, forward',
      outputs: ['y'],
      inputs: [x],
      fn: (a) => upsample3d(a!, 'bilinear'),
    },
    {
      name: 'nearest ×2 3-D upsampling from two resizeNearestNeighbor passes, forward',
      outputs: ['y'],
      inputs: [x],
      fn: (a) => upsample3d(a!, 'nearest'),
    },
    {
      name: 'nearest ×2 3-D upsampling by expandDims + concat per axis (no resize op), forward and gradient',
      outputs: ['y', 'dx'],
      inputs: [x, input([n, 2 * d, 2 * h, 2 * w, c])],
      fn: (a, g) => [nearestByConcat(a!), ...tf.grads((t: tf.Tensor) => nearestByConcat(t))([a!], g)],
    },
  ];
}

/**
 * Gradients of linear resizes, checked on each backend by the adjoint identity
 * <f(x), dy> = <x, f'(x)ᵀ dy> (the cpu reference is itself wrong here, so webgpu-vs-cpu cannot judge).
 */
export interface AdjointCase {
  name: string;
  x: HostTensor;
  dy: HostTensor;
  f: (t: tf.Tensor) => tf.Tensor;
  /** Per backend: `ok`, `wrong` (identity fails) or `throws`. */
  expected: { webgpu: 'ok' | 'wrong' | 'throws'; cpu: 'ok' | 'wrong' | 'throws' };
}

type Verdict = AdjointCase['expected'];
const OK: Verdict = { webgpu: 'ok', cpu: 'ok' };

/**
 * Measured verdicts (tfjs 4.22, Chromium 156 SwiftShader), keyed by `kind hp=… square|non-square`.
 * Anything not listed is expected to be `ok` on both.
 */
const RESIZE_VERDICTS: Record<string, Verdict> = {
  'bilinear hp=true square': { webgpu: 'wrong', cpu: 'wrong' },
  'bilinear hp=false non-square': { webgpu: 'ok', cpu: 'throws' },
  'bilinear hp=true non-square': { webgpu: 'wrong', cpu: 'throws' },
  'nearest hp=false square': { webgpu: 'ok', cpu: 'wrong' },
  'nearest hp=true square': { webgpu: 'ok', cpu: 'wrong' },
  'nearest hp=false non-square': { webgpu: 'ok', cpu: 'wrong' },
  'nearest hp=true non-square': { webgpu: 'ok', cpu: 'wrong' },
  'bilinear 3d hp=false': { webgpu: 'ok', cpu: 'throws' },
  'nearest 3d hp=false': { webgpu: 'wrong', cpu: 'wrong' },
  'bilinear 3d hp=true': { webgpu: 'wrong', cpu: 'throws' },
  'nearest 3d hp=true': { webgpu: 'wrong', cpu: 'wrong' },
};

function adjointCases(): AdjointCase[] {
  const out: AdjointCase[] = [];
  for (const [h, w] of [
    [6, 6],
    [6, 7],
  ] as const) {
    const x = input([10, h, w, 3]);
    const dy = input([10, 2 * h, 2 * w, 3]);
    for (const halfPixel of [false, true]) {
      for (const kind of ['bilinear', 'nearest'] as const) {
        const key = `${kind} hp=${halfPixel} ${h === w ? 'square' : 'non-square'}`;
        const op = kind === 'bilinear' ? 'resizeBilinear' : 'resizeNearestNeighbor';
        out.push({
          name: `${op} ×2 gradient, halfPixelCenters ${halfPixel}, [10,${h},${w},3]`,
          x,
          dy,
          f: (t) =>
            kind === 'bilinear'
              ? tf.image.resizeBilinear(t as tf.Tensor4D, [2 * h, 2 * w], false, halfPixel)
              : tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [2 * h, 2 * w], false, halfPixel),
          expected: RESIZE_VERDICTS[key] ?? OK,
        });
      }
    }
  }
  const x5 = input(X_SHAPE);
  const dy5 = input([2, 10, 12, 14, 3]);
  out.push({
    name: 'nearest ×2 3-D upsampling gradient by expandDims + concat per axis, [2,5,6,7,3]',
    x: x5,
    dy: dy5,
    f: nearestByConcat,
    expected: OK,
  });
  for (const halfPixel of [false, true]) {
    for (const kind of ['bilinear', 'nearest'] as const) {
      out.push({
        name: `${kind === 'bilinear' ? 'trilinear' : 'nearest'} ×2 3-D upsampling gradient (two 4-D resize passes), halfPixelCenters ${halfPixel}, [2,5,6,7,3]`,
        x: x5,
        dy: dy5,
        f: (t) => upsample3d(t, kind, halfPixel),
        expected: RESIZE_VERDICTS[`${kind} 3d hp=${halfPixel}`] ?? OK,
      });
    }
  }
  return out;
}

export const ADJOINT_CASES: AdjointCase[] = adjointCases();

export const OP_CASES: OpCase[] = [
  ...conv3dCases(),
  ...conv3dTransposeCases(),
  ...poolCases(),
  ...normCases(),
  ...elementwiseCases(),
  ...shapeCases(),
  ...resizeCases(),
];
