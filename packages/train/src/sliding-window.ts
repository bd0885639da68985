import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@voxnas/core';
import { createVolume, gaussianImportanceMap, voxelCount, windowStarts, type Volume } from '@voxnas/volume';
import { TrainConfigError } from './errors.js';
import { argmaxLabels } from './internal/argmax-labels.js';

/**
 * A batched forward pass: NDHWC `[b, wz, wy, wx, channelsIn]` → `[b, wz, wy, wx, channelsOut]`
 * (logits, or whatever `activation: 'none'` should pass through). It may be a `Network.apply`.
 * The returned tensor belongs to the caller (sliding-window disposes it).
 */
export type PredictFn = (x: tf.Tensor5D) => tf.Tensor5D;

/** Spatial sizes in Volume order `[x, y, z]` (voxels). */
export type Size3 = readonly [number, number, number];

/** Options of {@link slidingWindowInference}. */
export interface SlidingWindowOptions {
  /** Window size in voxels, `[wx, wy, wz]` (Volume order). Axes shorter than the window are zero-padded. */
  readonly windowSize: Size3;
  /** Fraction of a window shared with its neighbour along each axis, in [0, 1). Default 0.5. */
  readonly overlap?: number;
  /** `gaussian` (default: nnU-Net/MONAI importance map) or `constant` (plain average). */
  readonly blend?: 'gaussian' | 'constant';
  /** Gaussian σ as a fraction of the window size along each axis. Default 1/8. */
  readonly sigmaScale?: number;
  /** Windows per forward pass. Default 1. */
  readonly batchSize?: number;
  /**
   * Mirroring test-time augmentation: `true` flips along x, y and z (8 passes per window), or name
   * the axes. Each flipped prediction is flipped back and averaged. Default off.
   */
  readonly mirror?: boolean | ReadonlyArray<'x' | 'y' | 'z'>;
  /** Applied to each window's output before blending. Default `softmax` (over channels). */
  readonly activation?: 'softmax' | 'sigmoid' | 'none';
  /** What to return. Default `probabilities`. */
  readonly output?: 'probabilities' | 'labels' | 'both';
  /**
   * Precision of the JS-side accumulators. `float64` (default) makes blending exact to float32
   * rounding (an identity network returns its input bit for bit); `float32` halves their memory.
   */
  readonly accumulate?: 'float64' | 'float32';
  /** Value of voxels outside the image when a window overhangs it. Default 0. */
  readonly padValue?: number;
  /** Called after each batch of windows with the windows done and the total (for a progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * A batched forward pass on host arrays, for runtimes other than tfjs (ONNX Runtime Web, a worker):
 * `input` is NDHWC float32 `[b, wz, wy, wx, channelsIn]` (x fastest after channels); it resolves to the
 * raw outputs (logits) as NDHWC float32 `[b, wz, wy, wx, channelsOut]`.
 */
export type HostPredictFn = (
  input: Float32Array,
  shape: readonly [number, number, number, number, number],
) => Promise<{ readonly data: Float32Array; readonly shape: readonly number[] }>;

/** What {@link slidingWindowInference} returns, on the input's grid (same shape and affine). */
export interface SlidingWindowResult {
  /** Blended per-class outputs (`channels` = network output channels), when requested. */
  readonly probabilities?: Volume<'float32'>;
  /**
   * Argmax over channels (first maximum wins); with one output channel, `probability > 0.5`.
   * uint8 up to 256 classes, else int16.
   */
  readonly labels?: Volume<'uint8'> | Volume<'int16'>;
}

function checkSize3(s: Size3, what: string): void {
  if (!Array.isArray(s) || s.length !== 3 || !s.every((n) => Number.isInteger(n) && n > 0)) {
    throw new TrainConfigError(`${what} is [${String(s)}], expected 3 positive integers [x, y, z]`);
  }
}

/** Every subset of the mirror axes, as tensor axes of NDHWC (x → 3, y → 2, z → 1). */
function mirrorSets(mirror: SlidingWindowOptions['mirror'], where: string): number[][] {
  const names: ReadonlyArray<'x' | 'y' | 'z'> = mirror === true ? ['x', 'y', 'z'] : mirror ? mirror : [];
  const axes = [...new Set(names)].map((n) => {
    if (n !== 'x' && n !== 'y' && n !== 'z') throw new TrainConfigError(`${where}: mirror axis '${String(n)}', expected 'x', 'y' or 'z'`);
    return { x: 3, y: 2, z: 1 }[n];
  });
  const sets: number[][] = [];
  for (let mask = 0; mask < 1 << axes.length; mask++) sets.push(axes.filter((_, i) => mask & (1 << i)));
  return sets;
}

/**
 * Sliding-window inference over a whole volume: tiles `image` with overlapping windows, runs
 * `predict` on `batchSize` windows at a time (optionally with mirroring TTA), and blends the
 * outputs with a Gaussian (or constant) importance map. Accumulation happens in JS typed arrays and
 * every tensor is disposed per batch, so tensor memory is bounded by one batch whatever the volume
 * size; JS memory is the output plus one accumulator per class.
 *
 * Channels of a multi-channel `image` become the last NDHWC axis. The result is on the input's grid.
 *
 * @example
 * const { labels } = await slidingWindowInference(image, (x) => net.apply(x), {
 *   windowSize: [32, 32, 16], overlap: 0.5, batchSize: 2, mirror: true, output: 'labels',
 * });
 */
export async function slidingWindowInference(
  image: Volume,
  predict: PredictFn,
  options: SlidingWindowOptions,
): Promise<SlidingWindowResult> {
  const activation = options.activation ?? 'softmax';
  return blendWindows('slidingWindowInference', image, options, async (input, count, axes, [wz, wy, wx, cin]) => {
    const out = tf.tidy(() => {
      let x = tf.tensor5d(input, [count, wz, wy, wx, cin]);
      if (axes.length > 0) x = tf.reverse(x, [...axes]);
      let y: tf.Tensor = predict(x);
      if (y.rank !== 5 || y.shape[0] !== count || y.shape[1] !== wz || y.shape[2] !== wy || y.shape[3] !== wx) {
        throw new ShapeMismatchError(
          `slidingWindowInference: predict returned shape [${y.shape.join(', ')}], expected [${count}, ${wz}, ${wy}, ${wx}, channels]`,
        );
      }
      if (axes.length > 0) y = tf.reverse(y, [...axes]);
      if (activation === 'softmax') y = tf.softmax(y);
      else if (activation === 'sigmoid') y = tf.sigmoid(y);
      return tf.cast(y, 'float32');
    });
    try {
      return { values: (await out.data()) as Float32Array, channels: out.shape[4]! };
    } finally {
      out.dispose();
    }
  });
}

/**
 * {@link slidingWindowInference} for a forward pass that runs outside tfjs on host arrays (ONNX
 * Runtime Web or Node, a worker): the same tiling, importance map, mirroring, blending and argmax;
 * the activation (softmax / sigmoid over channels) and the mirror flips are done in JS. Needs no tfjs.
 *
 * @example
 * const session = await ort.InferenceSession.create(modelBytes);
 * const { labels } = await slidingWindowInferenceHost(image, async (input, [b, z, y, x, c]) => {
 *   const { logits } = await session.run({ image: new ort.Tensor('float32', ndhwcToNcdhw(input, …), [b, c, z, y, x]) });
 *   return { data: ncdhwToNdhwc(logits.data, …), shape: [b, z, y, x, logits.dims[1]] };
 * }, { windowSize: [32, 32, 16], output: 'labels', onProgress: (done, total) => bar.value = done / total });
 */
export async function slidingWindowInferenceHost(
  image: Volume,
  predict: HostPredictFn,
  options: SlidingWindowOptions,
): Promise<SlidingWindowResult> {
  const activation = options.activation ?? 'softmax';
  return blendWindows('slidingWindowInferenceHost', image, options, async (input, count, axes, [wz, wy, wx, cin]) => {
    const shape = [count, wz, wy, wx, cin] as const;
    const x = axes.length > 0 ? flipNdhwc(input, shape, axes) : input;
    const y = await predict(x, shape);
    if (
      y === null ||
      typeof y !== 'object' ||
      !(y.data instanceof Float32Array) ||
      y.shape.length !== 5 ||
      y.shape[0] !== count ||
      y.shape[1] !== wz ||
      y.shape[2] !== wy ||
      y.shape[3] !== wx ||
      y.data.length !== count * wz * wy * wx * y.shape[4]!
    ) {
      throw new ShapeMismatchError(
        `slidingWindowInferenceHost: predict returned shape [${y?.shape?.join(', ')}] (${y?.data?.length} values), expected [${count}, ${wz}, ${wy}, ${wx}, channels] NDHWC float32`,
      );
    }
    const channels = y.shape[4]!;
    const out = axes.length > 0 ? flipNdhwc(y.data, [count, wz, wy, wx, channels], axes) : Float32Array.from(y.data);
    activateChannels(out, channels, activation);
    return { values: out, channels };
  });
}

/** Runs one batch of windows: NDHWC input of `count` windows, mirrored along tensor `axes`; returns activated NDHWC float32 outputs. */
type RunBatch = (
  input: Float32Array,
  count: number,
  axes: readonly number[],
  window: readonly [number, number, number, number],
) => Promise<{ values: Float32Array; channels: number }>;

/** The tiling and blending shared by {@link slidingWindowInference} and {@link slidingWindowInferenceHost}. */
async function blendWindows(where: string, image: Volume, options: SlidingWindowOptions, run: RunBatch): Promise<SlidingWindowResult> {
  const overlap = options.overlap ?? 0.5;
  const batchSize = options.batchSize ?? 1;
  const activation = options.activation ?? 'softmax';
  const output = options.output ?? 'probabilities';
  const padValue = options.padValue ?? 0;
  checkSize3(options.windowSize, `${where}: windowSize`);
  if (!(overlap >= 0 && overlap < 1)) {
    throw new TrainConfigError(`${where}: overlap is ${overlap}, expected a number in [0, 1)`);
  }
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new TrainConfigError(`${where}: batchSize is ${batchSize}, expected an integer > 0`);
  }
  if (!['softmax', 'sigmoid', 'none'].includes(activation)) {
    throw new TrainConfigError(`${where}: activation is '${activation}', expected 'softmax', 'sigmoid' or 'none'`);
  }
  if (!['probabilities', 'labels', 'both'].includes(output)) {
    throw new TrainConfigError(`${where}: output is '${output}', expected 'probabilities', 'labels' or 'both'`);
  }
  const mirrors = mirrorSets(options.mirror, where);
  const [nx, ny, nz] = image.shape;
  const [wx, wy, wz] = options.windowSize;
  const n = voxelCount(image.shape);
  const cin = image.channels;
  const weights =
    (options.blend ?? 'gaussian') === 'gaussian'
      ? gaussianImportanceMap(options.windowSize, options.sigmaScale)
      : new Float64Array(wx * wy * wz).fill(1);
  const starts: Array<[number, number, number]> = [];
  for (const z0 of windowStarts(nz, wz, overlap)) {
    for (const y0 of windowStarts(ny, wy, overlap)) {
      for (const x0 of windowStarts(nx, wx, overlap)) starts.push([x0, y0, z0]);
    }
  }
  const Acc = options.accumulate === 'float32' ? Float32Array : Float64Array;
  const weightSum = new Acc(n);
  let acc: Float64Array | Float32Array | undefined; // [channel][voxel]
  let cout = 0;
  const wVox = wx * wy * wz;
  // One monomorphic source array (the network sees float32 anyway).
  const src = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data as ArrayLike<number>);
  const grid = { n, nx, ny, nz, wx, wy, wz };
  const share = 1 / mirrors.length;
  const scaled = Float64Array.from(weights, (w) => w * share);

  for (let b0 = 0; b0 < starts.length; b0 += batchSize) {
    const batch = starts.slice(b0, b0 + batchSize);
    const input = new Float32Array(batch.length * wVox * cin).fill(padValue);
    batch.forEach((start, b) => extractWindow(src, input, cin, b * wVox, start, grid));
    for (const axes of mirrors) {
      const { values, channels: c } = await run(input, batch.length, axes, [wz, wy, wx, cin]);
      if (acc === undefined) {
        cout = c;
        acc = new Acc(cout * n);
      } else if (c !== cout) {
        throw new ShapeMismatchError(`${where}: predict returned ${c} channels, earlier windows had ${cout}`);
      }
      batch.forEach((start, b) => accumulateWindow(acc!, weightSum, values, scaled, cout, b * wVox, start, grid));
    }
    options.onProgress?.(Math.min(b0 + batchSize, starts.length), starts.length);
  }

  const probs = normalise(acc!, weightSum, cout, n);
  const result: { probabilities?: Volume<'float32'>; labels?: Volume<'uint8'> | Volume<'int16'> } = {};
  if (output !== 'labels') {
    result.probabilities = createVolume({ data: probs, shape: image.shape, channels: cout, affine: image.affine, kind: 'image' });
  }
  if (output !== 'probabilities') {
    result.labels = argmaxLabels(probs, cout, image);
  }
  return result;
}

/** A copy of NDHWC `data` reversed along tensor `axes` (1 = z, 2 = y, 3 = x). */
function flipNdhwc(data: Float32Array, [n, d, h, w, c]: readonly number[], axes: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  const fz = axes.includes(1);
  const fy = axes.includes(2);
  const fx = axes.includes(3);
  for (let b = 0; b < n!; b++) {
    for (let z = 0; z < d!; z++) {
      const zs = fz ? d! - 1 - z : z;
      for (let y = 0; y < h!; y++) {
        const ys = fy ? h! - 1 - y : y;
        const row = ((b * d! + z) * h! + y) * w!;
        const srcRow = ((b * d! + zs) * h! + ys) * w!;
        for (let x = 0; x < w!; x++) {
          const o = (row + x) * c!;
          const s = (srcRow + (fx ? w! - 1 - x : x)) * c!;
          for (let k = 0; k < c!; k++) out[o + k] = data[s + k]!;
        }
      }
    }
  }
  return out;
}

/** Softmax or sigmoid over the channel (last) axis of NDHWC values, in place (float64 sums). */
function activateChannels(values: Float32Array, channels: number, activation: 'softmax' | 'sigmoid' | 'none'): void {
  if (activation === 'none') return;
  if (activation === 'sigmoid') {
    for (let i = 0; i < values.length; i++) values[i] = 1 / (1 + Math.exp(-values[i]!));
    return;
  }
  for (let o = 0; o < values.length; o += channels) {
    let m = -Infinity;
    for (let k = 0; k < channels; k++) m = Math.max(m, values[o + k]!);
    let sum = 0;
    for (let k = 0; k < channels; k++) sum += Math.exp(values[o + k]! - m);
    for (let k = 0; k < channels; k++) values[o + k] = Math.exp(values[o + k]! - m) / sum;
  }
}

export interface GridSizes {
  n: number;
  nx: number;
  ny: number;
  nz: number;
  wx: number;
  wy: number;
  wz: number;
}

/**
 * Copies the window at `start` into `input` (NDHWC, window `base` = b·wVox), row by row. Internal to
 * the package (also used by `caseTensors`), not exported from its entries.
 */
export function extractWindow(
  src: Float32Array,
  input: Float32Array,
  cin: number,
  base: number,
  [x0, y0, z0]: readonly [number, number, number],
  g: GridSizes,
): void {
  const xEnd = Math.min(g.wx, g.nx - x0);
  const yEnd = Math.min(g.wy, g.ny - y0);
  const zEnd = Math.min(g.wz, g.nz - z0);
  for (let z = 0; z < zEnd; z++) {
    for (let y = 0; y < yEnd; y++) {
      const vRow = x0 + g.nx * (y0 + y + g.ny * (z0 + z));
      const wRow = base + g.wx * (y + g.wy * z);
      if (cin === 1) {
        input.set(src.subarray(vRow, vRow + xEnd), wRow);
        continue;
      }
      for (let c = 0; c < cin; c++) {
        const s = c * g.n + vRow;
        for (let x = 0; x < xEnd; x++) input[(wRow + x) * cin + c] = src[s + x]!;
      }
    }
  }
}

/** Adds one window's weighted outputs (NDHWC `values`) into the per-class accumulators, row by row. */
function accumulateWindow(
  acc: Float64Array | Float32Array,
  weightSum: Float64Array | Float32Array,
  values: Float32Array,
  weights: Float64Array,
  cout: number,
  base: number,
  [x0, y0, z0]: readonly [number, number, number],
  g: GridSizes,
): void {
  const xEnd = Math.min(g.wx, g.nx - x0);
  const yEnd = Math.min(g.wy, g.ny - y0);
  const zEnd = Math.min(g.wz, g.nz - z0);
  for (let z = 0; z < zEnd; z++) {
    for (let y = 0; y < yEnd; y++) {
      const vRow = x0 + g.nx * (y0 + y + g.ny * (z0 + z));
      const wRow = g.wx * (y + g.wy * z);
      for (let x = 0; x < xEnd; x++) weightSum[vRow + x]! += weights[wRow + x]!;
      const o = (base + wRow) * cout;
      for (let k = 0; k < cout; k++) {
        const aRow = k * g.n + vRow;
        for (let x = 0; x < xEnd; x++) acc[aRow + x]! += weights[wRow + x]! * values[o + x * cout + k]!;
      }
    }
  }
}

/** `acc[k][v] / weightSum[v]` as float32. */
function normalise(acc: Float64Array | Float32Array, weightSum: Float64Array | Float32Array, cout: number, n: number): Float32Array {
  const probs = new Float32Array(cout * n);
  for (let k = 0; k < cout; k++) {
    const o = k * n;
    for (let v = 0; v < n; v++) probs[o + v] = acc[o + v]! / weightSum[v]!;
  }
  return probs;
}
