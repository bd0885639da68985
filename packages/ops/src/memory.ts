import { InvalidArgumentError } from '@voxnas/core';

/**
 * Which kernels run the step: `'js'` (the pure-JS tfjs `cpu` backend and composite kernels) or
 * `'native'` (`initBackend` with the `@voxnas/kernels` native kernels: fused InstanceNorm, dense
 * depthwise convolutions, fewer temporaries). `currentBackend()?.native` tells which is active.
 */
export type StepKernels = 'js' | 'native';

/**
 * Bytes the tfjs tape holds per byte of forward activations (the `activationBytes` of the operators'
 * cost models) at the peak of one training step — forward + backward, gradients of every trained
 * variable — by kernels. tfjs keeps every forward output the backward pass saved and every gradient it
 * computes (one per input of each recorded kernel, inside the `backward` tidy) until the step ends,
 * plus the temporaries of the composite kernels (InstanceNorm's moments, the split depthwise
 * convolution, the trilinear upsampling's phases), so the peak is a near-constant multiple of the
 * forward activations.
 *
 * Calibrated with `tf.profile` peak bytes (tfjs 4.22) on the supernet (full mixture, Gumbel k = 1, 2 at
 * their worst draw), its heaviest children and the U-Net, patches 16³–16×32×32, batch 1–2: `js` 5.5
 * (estimate / measured 0.96–1.13), `native` 3.6 (0.91–1.07). See docs/memory.md.
 *
 * @example
 * const tape = TAPE_BYTES_PER_ACTIVATION_BYTE.native * cost.activationBytes;
 */
export const TAPE_BYTES_PER_ACTIVATION_BYTE: Readonly<Record<StepKernels, number>> = Object.freeze({ js: 5.5, native: 3.6 });

/**
 * Bytes a step with activation recomputation holds per byte of segment boundaries (the tensors a
 * recomputation segment keeps: its inputs; see `recompute`): the kept tensor and the gradients the
 * backward pass accumulates for it until the step ends. Calibrated like
 * {@link TAPE_BYTES_PER_ACTIVATION_BYTE}, against `tf.profile` peaks of recomputed supernet, child and
 * U-Net steps (docs/memory.md).
 */
export const RECOMPUTE_BYTES_PER_BOUNDARY_BYTE = 3;

/**
 * The recomputation segments of a step (see `recompute`), for {@link estimateStepMemory}: each
 * segment's forward activation bytes (a part of `activationBytes`) and the bytes of the tensors the
 * segments keep (their inputs).
 */
export interface RecomputeSegments {
  /** Forward activation bytes inside each segment (their sum is at most `activationBytes`). */
  readonly segmentBytes: readonly number[];
  /** Bytes of the segments' inputs, which the step keeps until its end. */
  readonly boundaryBytes: number;
  /**
   * How many times the recomputed segment's activation bytes count on the tape relative to the whole
   * step's (a network's own calibration: a segment may hold more or less than its share). Default 1.
   */
  readonly segmentScale?: number;
  /**
   * The activation bytes on the tape while the heaviest segment is recomputed, when less than its own
   * (nested segments inside it). Default: the largest of `segmentBytes`.
   */
  readonly recomputedBytes?: number;
}

/**
 * The optimiser whose state a training step keeps: `'adam'` (Adam / AdamW: two float32 moments per
 * parameter), `'sgd'` (none; momentum SGD: pass `'momentum'`), `'momentum'` (one per parameter) or
 * `'none'` (gradients only, e.g. a measured `tf.variableGrads`).
 */
export type OptimizerStateKind = 'adam' | 'momentum' | 'sgd' | 'none';

const OPTIMIZER_SLOTS: Readonly<Record<OptimizerStateKind, number>> = { adam: 2, momentum: 1, sgd: 0, none: 0 };

/**
 * Peak memory of one training step, by part, in bytes (float32 tensors):
 * - `weightBytes`: the trained parameters (4 B each) — held before and after the step;
 * - `optimizerBytes`: the optimiser's slots (Adam: 8 B per parameter), held between steps;
 * - `inputBytes`: the batch (image and labels) the step reads;
 * - `activationBytes`: the forward activations of the cost models (what the backward pass needs);
 * - `tapeBytes`: `TAPE_BYTES_PER_ACTIVATION_BYTE[kernels] × activationBytes`, the step's own high-water mark
 *   (kept activations, gradients of every intermediate, kernel temporaries); with recomputation the
 *   same multiple of the activations outside the segments plus the largest segment's, and
 *   `RECOMPUTE_BYTES_PER_BOUNDARY_BYTE` × the segments' kept inputs;
 * - `gradientBytes`: the parameter gradients (4 B per parameter);
 * - `totalBytes`: the sum of all but `activationBytes` — the estimated `tf.profile` peak of the step.
 */
export interface StepMemoryEstimate {
  readonly kernels: StepKernels;
  readonly params: number;
  readonly weightBytes: number;
  readonly optimizerBytes: number;
  readonly inputBytes: number;
  readonly activationBytes: number;
  readonly tapeBytes: number;
  readonly gradientBytes: number;
  readonly totalBytes: number;
}

/** Input of {@link estimateStepMemory}. */
export interface StepMemoryInput {
  /** Trained parameters (the optimiser's variables). */
  readonly params: number;
  /** Forward activation bytes of one step (sum of the blocks' `activationBytes`, batch included). */
  readonly activationBytes: number;
  /** Bytes of the step's inputs (image batch and labels). */
  readonly inputBytes: number;
  /** Default `'adam'`. */
  readonly optimizer?: OptimizerStateKind;
  /** Default `'js'` (the larger estimate). */
  readonly kernels?: StepKernels;
  /** Parameters held but not trained in this step (e.g. the supernet's α during a weight step). Default 0. */
  readonly frozenParams?: number;
  /** With activation recomputation: its segments. Default: none (every activation kept). */
  readonly recompute?: RecomputeSegments;
}

function checkCount(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number ≥ 0, got ${String(v)}`);
  }
  return v;
}

/**
 * Estimates the peak tensor bytes of one training step (forward + backward + the optimiser's state)
 * from a network's parameter count and forward activation bytes, without allocating anything. The
 * model: weights + optimiser slots + inputs + gradients + `TAPE_BYTES_PER_ACTIVATION_BYTE[kernels]` ×
 * the activations (see {@link TAPE_BYTES_PER_ACTIVATION_BYTE} for the calibration). With `recompute`
 * (activation recomputation) only one segment's inside is on the tape at a time, and the segments'
 * inputs are kept with their gradients.
 *
 * @throws InvalidArgumentError when a count is negative or not finite, or the optimiser is unknown.
 * @example
 * const cost = operatorCost('conv-3x3x3', { channelsOut: 16, inputShape: [2, 32, 32, 32, 16] });
 * const m = estimateStepMemory({ params: cost.params, activationBytes: cost.activationBytes, inputBytes: 4 * 2 * 32 ** 3 * 16 });
 * m.totalBytes; // bytes at the step's peak
 */
export function estimateStepMemory(input: StepMemoryInput): StepMemoryEstimate {
  const where = 'estimateStepMemory';
  const params = checkCount(where, 'params', input?.params);
  const activationBytes = checkCount(where, 'activationBytes', input.activationBytes);
  const inputBytes = checkCount(where, 'inputBytes', input.inputBytes);
  const frozen = checkCount(where, 'frozenParams', input.frozenParams ?? 0);
  const optimizer = input.optimizer ?? 'adam';
  const slots = OPTIMIZER_SLOTS[optimizer];
  if (slots === undefined) {
    throw new InvalidArgumentError(`${where}: optimizer must be one of ${Object.keys(OPTIMIZER_SLOTS).join(', ')}, got ${JSON.stringify(optimizer)}`);
  }
  const kernels = input.kernels ?? 'js';
  const factor = TAPE_BYTES_PER_ACTIVATION_BYTE[kernels];
  if (factor === undefined) {
    throw new InvalidArgumentError(`${where}: kernels must be 'js' or 'native', got ${JSON.stringify(kernels)}`);
  }
  const weightBytes = 4 * (params + frozen);
  const optimizerBytes = 4 * slots * params;
  const gradientBytes = 4 * params;
  let tapeBytes = factor * activationBytes;
  const segments = input.recompute;
  if (segments !== undefined) {
    const list = Array.isArray(segments.segmentBytes) ? segments.segmentBytes : [];
    list.forEach((b, i) => checkCount(where, `recompute.segmentBytes[${i}]`, b));
    const boundary = checkCount(where, 'recompute.boundaryBytes', segments.boundaryBytes);
    const inside = list.reduce((a, b) => a + b, 0);
    if (list.length === 0 || inside > activationBytes * (1 + 1e-9)) {
      throw new InvalidArgumentError(`${where}: recompute.segmentBytes must be a non-empty list summing to at most activationBytes (${activationBytes}), got ${list.length} segment(s) summing to ${inside}`);
    }
    // The tape holds what runs outside the segments, the kept boundaries with their gradients, and one
    // segment's inside at a time while the backward pass recomputes it.
    const scale = checkCount(where, 'recompute.segmentScale', segments.segmentScale ?? 1);
    const largest = checkCount(where, 'recompute.recomputedBytes', segments.recomputedBytes ?? Math.max(...list));
    tapeBytes = factor * (activationBytes - inside + scale * largest) + RECOMPUTE_BYTES_PER_BOUNDARY_BYTE * boundary;
  }
  return {
    kernels,
    params,
    weightBytes,
    optimizerBytes,
    inputBytes,
    activationBytes,
    tapeBytes,
    gradientBytes,
    totalBytes: weightBytes + optimizerBytes + inputBytes + gradientBytes + tapeBytes,
  };
}

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parses a memory size: a number with an optional binary unit K, M, G or T (optionally followed by
 * `i`/`iB`/`B`, case-insensitive): `8G` = 8 GiB, `512M`, `1.5GiB`, `1048576`.
 *
 * @throws InvalidArgumentError naming `what` for anything else (negative, empty, unknown unit).
 * @example
 * parseByteSize('8G'); // 8589934592
 * parseByteSize('512M', '--memory-budget'); // 536870912
 */
export function parseByteSize(text: string, what = 'memory size'): number {
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text) : null;
  const value = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${what}: ${JSON.stringify(text)} is not a memory size, expected a positive number with an optional unit K, M, G or T, e.g. 8G or 512M`);
  }
  return Math.round(value);
}

/**
 * Formats bytes with a binary unit and one decimal: `1.5 GiB`, `512.0 MiB`, `12 B`.
 *
 * @example
 * formatBytes(3 * 2 ** 29); // '1.5 GiB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}
