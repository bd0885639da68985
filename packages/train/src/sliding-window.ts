import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@voxnas/core';
import { createVolume, voxelCount, type Volume } from '@voxnas/volume';
import { TrainConfigError } from './errors.js';

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
}

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

/**
 * Window start positions along one axis, as MONAI/nnU-Net tile: a step of `⌊w·(1 − overlap)⌋`
 * (at least 1) from 0, with the last window flush with the end. A volume shorter than the window
 * gets one window at 0.
 *
 * @example
 * windowStarts(10, 4, 0.5); // [0, 2, 4, 6]
 * windowStarts(11, 4, 0.5); // [0, 2, 4, 6, 7]
 */
export function windowStarts(size: number, window: number, overlap: number): number[] {
  if (!(Number.isInteger(size) && size > 0)) throw new TrainConfigError(`windowStarts: size is ${size}, expected an integer > 0`);
  if (!(Number.isInteger(window) && window > 0)) {
    throw new TrainConfigError(`windowStarts: window is ${window}, expected an integer > 0`);
  }
  if (!(overlap >= 0 && overlap < 1)) throw new TrainConfigError(`windowStarts: overlap is ${overlap}, expected a number in [0, 1)`);
  if (size <= window) return [0];
  const step = Math.max(1, Math.floor(window * (1 - overlap)));
  const count = Math.ceil((size - window) / step) + 1;
  return Array.from({ length: count }, (_, i) => Math.min(i * step, size - window));
}

/**
 * The Gaussian importance map of nnU-Net and MONAI: `exp(−d²/2σ²)` per axis (d from the window
 * centre `(w − 1)/2`, σ = `sigmaScale · w`), multiplied over axes, maximum 1. Layout x fastest.
 *
 * @example
 * const w = gaussianImportanceMap([5, 7, 3]); // Float64Array(105), w[52] === 1 (the centre)
 */
export function gaussianImportanceMap(windowSize: Size3, sigmaScale = 0.125): Float64Array {
  checkSize3(windowSize, 'gaussianImportanceMap: windowSize');
  if (!(Number.isFinite(sigmaScale) && sigmaScale > 0)) {
    throw new TrainConfigError(`gaussianImportanceMap: sigmaScale is ${sigmaScale}, expected a number > 0`);
  }
  const axes = windowSize.map((w) => {
    const sigma = sigmaScale * w;
    const c = (w - 1) / 2;
    return Float64Array.from({ length: w }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  });
  const [wx, wy, wz] = windowSize;
  const out = new Float64Array(wx * wy * wz);
  let min = Infinity;
  for (let z = 0, i = 0; z < wz; z++) {
    for (let y = 0; y < wy; y++) {
      for (let x = 0; x < wx; x++, i++) {
        const v = axes[0]![x]! * axes[1]![y]! * axes[2]![z]!;
        out[i] = v;
        if (v > 0 && v < min) min = v;
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (!(out[i]! > 0)) out[i] = min; // never divide by zero
  return out;
}

function checkSize3(s: Size3, what: string): void {
  if (!Array.isArray(s) || s.length !== 3 || !s.every((n) => Number.isInteger(n) && n > 0)) {
    throw new TrainConfigError(`${what} is [${String(s)}], expected 3 positive integers [x, y, z]`);
  }
}

/** Every subset of the mirror axes, as tensor axes of NDHWC (x → 3, y → 2, z → 1). */
function mirrorSets(mirror: SlidingWindowOptions['mirror']): number[][] {
  const names: ReadonlyArray<'x' | 'y' | 'z'> = mirror === true ? ['x', 'y', 'z'] : mirror ? mirror : [];
  const axes = [...new Set(names)].map((n) => {
    if (n !== 'x' && n !== 'y' && n !== 'z') throw new TrainConfigError(`slidingWindowInference: mirror axis '${String(n)}', expected 'x', 'y' or 'z'`);
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
  const overlap = options.overlap ?? 0.5;
  const batchSize = options.batchSize ?? 1;
  const activation = options.activation ?? 'softmax';
  const output = options.output ?? 'probabilities';
  const padValue = options.padValue ?? 0;
  checkSize3(options.windowSize, 'slidingWindowInference: windowSize');
  if (!(overlap >= 0 && overlap < 1)) {
    throw new TrainConfigError(`slidingWindowInference: overlap is ${overlap}, expected a number in [0, 1)`);
  }
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new TrainConfigError(`slidingWindowInference: batchSize is ${batchSize}, expected an integer > 0`);
  }
  if (!['softmax', 'sigmoid', 'none'].includes(activation)) {
    throw new TrainConfigError(`slidingWindowInference: activation is '${activation}', expected 'softmax', 'sigmoid' or 'none'`);
  }
  if (!['probabilities', 'labels', 'both'].includes(output)) {
    throw new TrainConfigError(`slidingWindowInference: output is '${output}', expected 'probabilities', 'labels' or 'both'`);
  }
  const mirrors = mirrorSets(options.mirror);
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
      const out = tf.tidy(() => {
        let x = tf.tensor5d(input, [batch.length, wz, wy, wx, cin]);
        if (axes.length > 0) x = tf.reverse(x, axes);
        let y: tf.Tensor = predict(x);
        if (y.rank !== 5 || y.shape[0] !== batch.length || y.shape[1] !== wz || y.shape[2] !== wy || y.shape[3] !== wx) {
          throw new ShapeMismatchError(
            `slidingWindowInference: predict returned shape [${y.shape.join(', ')}], expected [${batch.length}, ${wz}, ${wy}, ${wx}, channels]`,
          );
        }
        if (axes.length > 0) y = tf.reverse(y, axes);
        if (activation === 'softmax') y = tf.softmax(y);
        else if (activation === 'sigmoid') y = tf.sigmoid(y);
        return tf.cast(y, 'float32');
      });
      let values: Float32Array;
      try {
        values = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      const c = out.shape[4]!;
      if (acc === undefined) {
        cout = c;
        acc = new Acc(cout * n);
      } else if (c !== cout) {
        throw new ShapeMismatchError(`slidingWindowInference: predict returned ${c} channels, earlier windows had ${cout}`);
      }
      batch.forEach((start, b) => accumulateWindow(acc!, weightSum, values, scaled, cout, b * wVox, start, grid));
    }
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

interface GridSizes {
  n: number;
  nx: number;
  ny: number;
  nz: number;
  wx: number;
  wy: number;
  wz: number;
}

/** Copies the window at `start` into `input` (NDHWC, window `base` = b·wVox), row by row. */
function extractWindow(
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

function argmaxLabels(probs: Float32Array, cout: number, image: Volume): Volume<'uint8'> | Volume<'int16'> {
  const n = voxelCount(image.shape);
  const labels = cout <= 256 ? new Uint8Array(n) : new Int16Array(n);
  if (cout === 1) {
    for (let v = 0; v < n; v++) labels[v] = probs[v]! > 0.5 ? 1 : 0;
  } else {
    for (let v = 0; v < n; v++) {
      let best = 0;
      let bestValue = probs[v]!;
      for (let k = 1; k < cout; k++) {
        const p = probs[k * n + v]!;
        if (p > bestValue) {
          best = k;
          bestValue = p;
        }
      }
      labels[v] = best;
    }
  }
  return createVolume({ data: labels, shape: image.shape, affine: image.affine, kind: 'label' }) as
    | Volume<'uint8'>
    | Volume<'int16'>;
}
