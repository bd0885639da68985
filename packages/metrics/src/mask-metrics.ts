import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { checkShape, checkSpacing, type Shape3, type Spacing3 } from './distance-transform.js';
import { EmptyMaskError } from './errors.js';
import { percentile } from './internal/percentile.js';
import { checkConnectivity, surfaceDistancesInBoxes, type Box, type Connectivity } from './surface.js';

/** Every metric {@link computeMaskMetrics} and `evaluateSegmentation` report, in a stable order. */
export const METRIC_NAMES = [
  'dice',
  'iou',
  'precision',
  'recall',
  'specificity',
  'volumeSimilarity',
  'hausdorff',
  'hd95',
  'assd',
  'nsd',
] as const;

/** A metric name: overlap (`dice` … `volumeSimilarity`) or surface (`hausdorff`, `hd95`, `assd`, `nsd`). */
export type MetricName = (typeof METRIC_NAMES)[number];

/** One value per metric. Distances are in mm; the others are fractions in [0, 1]. */
export type MetricValues = Record<MetricName, number>;

/** Which masks are empty. */
export type EmptyCase = 'none' | 'prediction' | 'reference' | 'both';

/**
 * What a metric becomes when it is undefined because a mask is empty.
 *
 * - Both masks empty: every metric except specificity is 0/0. `bothEmpty`:
 *   `'nan'` (default; as MONAI and nnU-Net — the case drops out of means), `'perfect'` (similarities
 *   1, distances 0, as the BraTS challenges score an absent tumour predicted absent), or `'error'`
 *   (throw {@link EmptyMaskError}).
 * - Exactly one mask empty: Dice, IoU and volume similarity are 0 and specificity is computed as
 *   usual; precision (empty prediction) or recall (empty reference) and all surface metrics are
 *   undefined. `oneEmpty`: `'worst'` (default; ratios 0, NSD 0, HD/HD95/ASSD = `worstDistanceMm`),
 *   `'nan'`, or `'error'`.
 * - `worstDistanceMm` defaults to the diagonal of the grid in mm, √Σ(nᵢ·sᵢ)², the largest distance
 *   two voxels of the grid can have (the BraTS convention, 373.13 mm on 240×240×155 at 1 mm).
 *
 * Specificity is NaN only when the reference covers the whole grid (TN + FP = 0); the policy does
 * not apply to it.
 */
export interface EmptyPolicy {
  bothEmpty?: 'nan' | 'perfect' | 'error';
  oneEmpty?: 'worst' | 'nan' | 'error';
  worstDistanceMm?: number;
}

/** Voxel counts of the confusion matrix (prediction vs reference). */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Options shared by {@link computeMaskMetrics} and `evaluateSegmentation`. */
export interface MetricOptions {
  /** Neighbourhood that defines surface voxels (default 6), see `extractSurface`. */
  connectivity?: Connectivity;
  /** Percentile of the robust Hausdorff distance (default 95 → HD95). */
  percentile?: number;
  /** Tolerance of the normalised surface Dice in mm (default 1). */
  nsdToleranceMm?: number;
  /** Empty-mask policy, see {@link EmptyPolicy}. */
  empty?: EmptyPolicy;
  /** Skip the surface metrics (they become NaN) to save time (default false). */
  skipSurface?: boolean;
}

/** Options of {@link computeMaskMetrics}. */
export interface MaskMetricsOptions extends MetricOptions {
  /** `[nx, ny, nz]` of both masks (x fastest). */
  shape: Shape3;
  /** Voxel size in mm along x, y, z (default `[1, 1, 1]`). */
  spacingMm?: Spacing3;
  /** Names the masks in error messages (default `'computeMaskMetrics'`). */
  where?: string;
}

/** Result of {@link computeMaskMetrics}. */
export interface MaskMetrics {
  metrics: MetricValues;
  counts: ConfusionCounts;
  /** Foreground volumes in mm³. */
  volumeMm3: { prediction: number; reference: number };
  /** Number of surface voxels of each mask. */
  surfaceVoxels: { prediction: number; reference: number };
  empty: EmptyCase;
}

/**
 * Overlap and surface metrics of one binary prediction mask against a binary reference mask
 * (non-zero = foreground), spacing-aware:
 *
 * - Dice = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN), precision = TP/(TP+FP), recall = TP/(TP+FN),
 *   specificity = TN/(TN+FP), volume similarity = 1 − |FN−FP|/(2TP+FP+FN).
 * - Surface metrics use the directed distances from each surface voxel of one mask to the nearest
 *   surface voxel of the other (`surfaceDistances`, exact EDT, mm): Hausdorff = max of both maxima;
 *   HD95 = max of the two directed 95th percentiles (numpy's linear interpolation; MONAI's
 *   definition); ASSD = (Σd(P→R) + Σd(R→P)) / (|∂P| + |∂R|); NSD at tolerance τ =
 *   (#{d(P→R) ≤ τ} + #{d(R→P) ≤ τ}) / (|∂P| + |∂R|) (counted over surface voxels, not surfel areas).
 * - Empty masks follow `options.empty` ({@link EmptyPolicy}).
 *
 * @example
 * const shape = [7, 6, 5] as const;
 * const p = new Uint8Array(210); const r = new Uint8Array(210);
 * p.fill(1, 0, 84); r.fill(1, 42, 126); // two slabs, overlapping in one z-slice
 * computeMaskMetrics(p, r, { shape, spacingMm: [1, 1, 2] }).metrics.dice; // 0.5
 */
export function computeMaskMetrics(
  prediction: ArrayLike<number>,
  reference: ArrayLike<number>,
  options: MaskMetricsOptions,
): MaskMetrics {
  const where = options.where ?? 'computeMaskMetrics';
  const shape = checkShape(options.shape, where);
  const spacing = checkSpacing(options.spacingMm ?? [1, 1, 1], where);
  const n = shape[0] * shape[1] * shape[2];
  if (prediction.length !== n || reference.length !== n) {
    throw new ShapeMismatchError(
      `${where}: prediction has ${prediction.length} and reference ${reference.length} elements, expected ${n} for shape [${shape.join(', ')}]`,
    );
  }
  const opts = resolveMetricOptions(options, shape, spacing, where);
  return maskMetricsCore(prediction, reference, { shape, spacing, opts, where, outsideVoxels: 0 });
}

/**
 * computeMaskMetrics after validation. `outsideVoxels` counts grid voxels outside the given arrays
 * (a crop) that are background in both masks; they add to TN only.
 */
export function maskMetricsCore(
  prediction: ArrayLike<number>,
  reference: ArrayLike<number>,
  a: { shape: Shape3; spacing: Spacing3; opts: ResolvedMetricOptions; where: string; outsideVoxels: number },
): MaskMetrics {
  const { shape, spacing, opts, where } = a;
  const n = shape[0] * shape[1] * shape[2];
  // One pass: confusion counts and both bounding boxes (reused by the surface step).
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const [nx, ny, nz] = shape;
  const bp: Box = { x0: nx, x1: 0, y0: ny, y1: 0, z0: nz, z1: 0 };
  const br: Box = { x0: nx, x1: 0, y0: ny, y1: 0, z0: nz, z1: 0 };
  for (let k = 0, i = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let pr0 = nx;
      let pr1 = -1;
      let rr0 = nx;
      let rr1 = -1;
      for (let x = 0; x < nx; x++, i++) {
        const p = prediction[i] !== 0;
        const r = reference[i] !== 0;
        if (p) {
          if (x < pr0) pr0 = x;
          pr1 = x;
          if (r) {
            tp++;
            if (x < rr0) rr0 = x;
            rr1 = x;
          } else fp++;
        } else if (r) {
          fn++;
          if (x < rr0) rr0 = x;
          rr1 = x;
        }
      }
      if (pr1 >= 0) growBox(bp, pr0, pr1, j, k);
      if (rr1 >= 0) growBox(br, rr0, rr1, j, k);
    }
  }
  const tn = n + a.outsideVoxels - tp - fp - fn;
  const counts = { tp, fp, fn, tn };
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const volumeMm3 = { prediction: (tp + fp) * voxelMm3, reference: (tp + fn) * voxelMm3 };
  const predEmpty = tp + fp === 0;
  const refEmpty = tp + fn === 0;
  const empty: EmptyCase = predEmpty ? (refEmpty ? 'both' : 'prediction') : refEmpty ? 'reference' : 'none';

  if (empty !== 'none') {
    const rule = empty === 'both' ? opts.bothEmpty : opts.oneEmpty;
    if (rule === 'error') {
      throw new EmptyMaskError(
        `${where}: ${empty === 'both' ? 'prediction and reference are' : `${empty} is`} empty, so the metrics are undefined; ` +
          `expected non-empty masks because the empty policy says ${empty === 'both' ? 'bothEmpty' : 'oneEmpty'}: 'error' ` +
          `(use 'nan', or ${empty === 'both' ? "'perfect'" : "'worst'"}, to score it)`,
      );
    }
  }
  const undefRatio = empty === 'both' ? pick(opts.bothEmpty, 1) : pick(opts.oneEmpty, 0);
  const undefDist = empty === 'both' ? pick(opts.bothEmpty, 0) : pick(opts.oneEmpty, opts.worstDistanceMm);
  const ratio = (num: number, den: number) => (den === 0 ? undefRatio : num / den);

  const metrics: MetricValues = {
    dice: ratio(2 * tp, 2 * tp + fp + fn),
    iou: ratio(tp, tp + fp + fn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    specificity: tn + fp === 0 ? Number.NaN : tn / (tn + fp),
    volumeSimilarity: 2 * tp + fp + fn === 0 ? undefRatio : 1 - Math.abs(fn - fp) / (2 * tp + fp + fn),
    hausdorff: Number.NaN,
    hd95: Number.NaN,
    assd: Number.NaN,
    nsd: Number.NaN,
  };
  let surfaceVoxels = { prediction: 0, reference: 0 };
  if (!opts.skipSurface) {
    if (empty !== 'none') {
      metrics.hausdorff = metrics.hd95 = metrics.assd = undefDist;
      metrics.nsd = undefRatio;
    }
    const sd = surfaceDistancesInBoxes(prediction, reference, {
      shape,
      spacing,
      conn: opts.connectivity,
      boxA: tp + fp > 0 ? bp : null,
      boxB: tp + fn > 0 ? br : null,
    });
    surfaceVoxels = { prediction: sd.surfaceA.length, reference: sd.surfaceB.length };
    if (empty === 'none') Object.assign(metrics, summariseSurfaceDistances(sd.aToB, sd.bToA, opts));
  }
  return { metrics, counts, volumeMm3, surfaceVoxels, empty };
}

function growBox(b: Box, x0: number, x1: number, j: number, k: number): void {
  if (x0 < b.x0) b.x0 = x0;
  if (x1 + 1 > b.x1) b.x1 = x1 + 1;
  if (j < b.y0) b.y0 = j;
  if (j + 1 > b.y1) b.y1 = j + 1;
  if (k < b.z0) b.z0 = k;
  if (k + 1 > b.z1) b.z1 = k + 1;
}

function pick(rule: 'nan' | 'perfect' | 'worst' | 'error', value: number): number {
  return rule === 'nan' ? Number.NaN : value;
}

/** Fully resolved {@link MetricOptions}. */
export interface ResolvedMetricOptions {
  connectivity: Connectivity;
  percentile: number;
  nsdToleranceMm: number;
  bothEmpty: 'nan' | 'perfect' | 'error';
  oneEmpty: 'worst' | 'nan' | 'error';
  worstDistanceMm: number;
  skipSurface: boolean;
}

export function resolveMetricOptions(
  o: MetricOptions,
  shape: Shape3,
  spacing: Spacing3,
  where: string,
): ResolvedMetricOptions {
  const percentile = o.percentile ?? 95;
  if (!(percentile >= 0 && percentile <= 100)) {
    throw new InvalidArgumentError(`${where}: percentile must be in [0, 100], got ${percentile}`);
  }
  const nsdToleranceMm = o.nsdToleranceMm ?? 1;
  if (!(nsdToleranceMm >= 0) || !Number.isFinite(nsdToleranceMm)) {
    throw new InvalidArgumentError(`${where}: nsdToleranceMm must be a finite number ≥ 0, got ${nsdToleranceMm}`);
  }
  const bothEmpty = o.empty?.bothEmpty ?? 'nan';
  if (bothEmpty !== 'nan' && bothEmpty !== 'perfect' && bothEmpty !== 'error') {
    throw new InvalidArgumentError(`${where}: empty.bothEmpty must be 'nan', 'perfect' or 'error', got '${String(bothEmpty)}'`);
  }
  const oneEmpty = o.empty?.oneEmpty ?? 'worst';
  if (oneEmpty !== 'nan' && oneEmpty !== 'worst' && oneEmpty !== 'error') {
    throw new InvalidArgumentError(`${where}: empty.oneEmpty must be 'worst', 'nan' or 'error', got '${String(oneEmpty)}'`);
  }
  const worstDistanceMm =
    o.empty?.worstDistanceMm ?? Math.hypot(shape[0] * spacing[0], shape[1] * spacing[1], shape[2] * spacing[2]);
  if (!(worstDistanceMm >= 0)) {
    throw new InvalidArgumentError(`${where}: empty.worstDistanceMm must be ≥ 0, got ${worstDistanceMm}`);
  }
  return {
    connectivity: checkConnectivity(o.connectivity ?? 6, where),
    percentile,
    nsdToleranceMm,
    bothEmpty,
    oneEmpty,
    worstDistanceMm,
    skipSurface: o.skipSurface ?? false,
  };
}

/** HD, HD-percentile, ASSD and NSD from the two directed surface-distance arrays (both non-empty). */
export function summariseSurfaceDistances(
  aToB: Float64Array,
  bToA: Float64Array,
  opts: Pick<ResolvedMetricOptions, 'percentile' | 'nsdToleranceMm'>,
): Pick<MetricValues, 'hausdorff' | 'hd95' | 'assd' | 'nsd'> {
  let maxA = 0;
  let maxB = 0;
  let sum = 0;
  let within = 0;
  const tau = opts.nsdToleranceMm;
  for (let i = 0; i < aToB.length; i++) {
    const d = aToB[i]!;
    if (d > maxA) maxA = d;
    sum += d;
    if (d <= tau) within++;
  }
  for (let i = 0; i < bToA.length; i++) {
    const d = bToA[i]!;
    if (d > maxB) maxB = d;
    sum += d;
    if (d <= tau) within++;
  }
  const total = aToB.length + bToA.length;
  return {
    hausdorff: Math.max(maxA, maxB),
    hd95: Math.max(percentile(aToB, opts.percentile), percentile(bToA, opts.percentile)),
    assd: sum / total,
    nsd: within / total,
  };
}
