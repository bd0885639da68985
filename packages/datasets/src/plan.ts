import { InvalidArgumentError } from '@voxnas/core';
import type { ChannelNormalization } from '@voxnas/volume';
import type { DatasetProblem } from './dataset-error.js';
import type { DatasetFingerprint } from './fingerprint.js';

type Vec3 = [number, number, number];

/** A normalisation scheme of one channel, with the channel it applies to. */
export type PlannedNormalization = ChannelNormalization & { readonly channel: number; readonly name: string };

/**
 * How cases are prepared and batched (`plan.json`, format `voxnas-plan@1`): the fingerprint it was
 * made from, the target spacing, resampling, cropping, normalisation per channel, the patch and batch
 * size, the adaptations made for single cases, and one line per decision saying why.
 */
export interface DatasetPlan {
  readonly format: 'voxnas-plan@1';
  readonly fingerprint: DatasetFingerprint;
  /** Voxel size every case is resampled to, mm along i, j, k. */
  readonly targetSpacingMm: Vec3;
  readonly resampling: {
    /** Interpolation of images along in-plane axes (and every axis when not anisotropic). */
    readonly image: 'cubic' | 'linear';
    /** Labels: linear interpolation of each class's one-hot map, then argmax. */
    readonly label: 'one-hot-linear';
    /**
     * When a case's spacing or the target spacing is more than `threshold`× coarser along one axis than
     * along another, that (coarsest) axis is resampled separately by `coarseAxis` interpolation.
     */
    readonly anisotropyThreshold: number;
    readonly coarseAxis: 'nearest' | 'linear';
  };
  /** Crop every case to the bounding box of its non-zero region first. */
  readonly cropToNonZero: boolean;
  /** One scheme per channel, in channel order. */
  readonly normalization: readonly PlannedNormalization[];
  /** Median case shape after cropping, at the target spacing [x, y, z]. */
  readonly medianShape: Vec3;
  /** Patch size in voxels [x, y, z] at the target spacing. */
  readonly patchSize: Vec3;
  readonly batchSize: number;
  /** The network constraints the patch was planned for. */
  readonly network: { readonly levels: number; readonly divisor: number; readonly minPatch: Vec3 };
  /** Memory estimate of one training step at the planned patch and batch, and the budget. */
  readonly memory: { readonly rule: string; readonly estimateBytes: number; readonly budgetBytes: number };
  /** What was adapted for single cases (e.g. a case smaller than the patch is zero-padded), by case id. */
  readonly adaptations: readonly DatasetProblem[];
  /** Every decision in one line each. */
  readonly decisions: readonly string[];
}

/** A memory model: bytes of one training step for a patch and batch size, and the budget they must fit. */
export interface MemoryModel {
  /** Bytes of one training step at `patch` [x, y, z] and `batch`. */
  estimateBytes(patch: Vec3, batch: number): number;
  readonly budgetBytes: number;
  /** One line saying where the estimate comes from (recorded in the plan). */
  readonly rule: string;
}

/**
 * The placeholder memory rule used when the caller passes none: one float32 per input voxel
 * (batch · patch voxels · 4 bytes) within a budget of two 96³ patches — i.e. at most 2·96³ input voxels
 * per batch. It only bounds the patch volume; a network's real cost model (or the measured dry run)
 * should replace it.
 */
export const PLACEHOLDER_MEMORY: MemoryModel = {
  estimateBytes: (p, b) => 4 * b * p[0] * p[1] * p[2],
  budgetBytes: 4 * 2 * 96 ** 3,
  rule: 'placeholder: batch × patch voxels × 4 bytes ≤ 2 × 96³ × 4 bytes (no network cost model given)',
};

/** Options of {@link planDataset}. Fields given here are taken as they are (each recorded as "given"). */
export interface PlanDatasetOptions {
  /** The network: U-Net levels (it pools every axis levels−1 times) and, optionally, its smallest input. */
  readonly network: { readonly levels: number; readonly minPatch?: Vec3 };
  readonly memory?: MemoryModel;
  readonly spacingMm?: Vec3;
  readonly patchSize?: Vec3;
  readonly batchSize?: number;
  /** Per channel: a scheme name, or 'auto' (from the modality: 'CT' → ct, anything else → z-score). */
  readonly normalization?: ReadonlyArray<'auto' | 'ct' | 'z-score' | 'none'>;
  /** Image interpolation (default 'cubic', nnU-Net's order 3). */
  readonly imageInterpolation?: 'cubic' | 'linear';
  /** Anisotropy ratio that triggers the low-percentile target spacing and separate coarse-axis resampling (default 3). */
  readonly anisotropyThreshold?: number;
  /** Crop to the non-zero region (default true). */
  readonly cropToNonZero?: boolean;
}

const AXES = 'xyz';
const fmt = (v: readonly number[], d = 3) => `[${v.map((x) => +x.toFixed(d)).join(', ')}]`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** numpy.percentile with the default linear rule. */
function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const r = (q / 100) * (s.length - 1);
  const k = Math.floor(r);
  return k + 1 < s.length ? s[k]! + (r - k) * (s[k + 1]! - s[k]!) : s[k]!;
}

/**
 * nnU-Net's target spacing: the median spacing per axis; when the coarsest axis is more than
 * `threshold`× the coarsest other axis *and* its median size (after cropping) times `threshold` is
 * smaller than the other axes' smallest median size, that axis takes the 10th percentile of its
 * spacings instead (but stays above the other axes' spacing). Returns the spacing and the reason.
 *
 * @example
 * targetSpacing([[0.7, 0.7, 5], [0.8, 0.8, 3]], [[128, 128, 20], [110, 110, 30]]); // z → 10th percentile
 */
export function targetSpacing(
  spacings: readonly (readonly number[])[],
  sizes: readonly (readonly number[])[],
  threshold = 3,
): { spacingMm: Vec3; reason: string } {
  if (spacings.length === 0) throw new InvalidArgumentError('targetSpacing: no cases');
  const target = [0, 1, 2].map((a) => percentile(spacings.map((s) => s[a]!), 50)) as Vec3;
  const size = [0, 1, 2].map((a) => percentile(sizes.map((s) => s[a]!), 50));
  const worst = target.indexOf(Math.max(...target));
  const others = [0, 1, 2].filter((a) => a !== worst);
  const otherSpacing = Math.max(...others.map((a) => target[a]!));
  const otherSize = Math.min(...others.map((a) => size[a]!));
  const anisoSpacing = target[worst]! > threshold * otherSpacing;
  const anisoVoxels = size[worst]! * threshold < otherSize;
  const median = `median of ${spacings.length} case spacing(s) per axis`;
  if (!(anisoSpacing && anisoVoxels)) {
    return {
      spacingMm: target,
      reason: `target spacing ${fmt(target)} mm: ${median}${anisoSpacing ? ` (${AXES[worst]} is > ${threshold}× coarser but its median size ${size[worst]} × ${threshold} is not below ${otherSize} voxels, so the median stays)` : ''}`,
    };
  }
  let t = percentile(spacings.map((s) => s[worst]!), 10);
  if (t < otherSpacing) t = Math.max(otherSpacing, t) + 1e-5;
  const med = target[worst]!;
  target[worst] = t;
  return {
    spacingMm: target,
    reason: `target spacing ${fmt(target)} mm: ${median}, except ${AXES[worst]}: anisotropic (median ${+med.toFixed(3)} mm > ${threshold}× ${+otherSpacing.toFixed(3)} mm and median size ${size[worst]} × ${threshold} < ${otherSize} voxels), so the 10th percentile of its spacings, ${+t.toFixed(5)} mm (nnU-Net's rule)`,
  };
}

/**
 * The coarse axis to resample separately for a case of `spacing` going to `target`: the coarsest axis
 * of the case when its spacing is anisotropic beyond `threshold`, else of the target, else null
 * (nnU-Net's `do_separate_z` rule).
 *
 * @example
 * separateAxis([0.7, 0.7, 5], [0.7, 0.7, 3]); // 2
 */
export function separateAxis(spacing: readonly number[], target: readonly number[], threshold = 3): 0 | 1 | 2 | null {
  const aniso = (s: readonly number[]) => Math.max(...s) / Math.min(...s) > threshold;
  if (aniso(spacing)) return spacing.indexOf(Math.max(...spacing)) as 0 | 1 | 2;
  if (aniso(target)) return target.indexOf(Math.max(...target)) as 0 | 1 | 2;
  return null;
}

function checkVec3(v: unknown, what: string, integer: boolean): Vec3 {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x)))) {
    throw new InvalidArgumentError(`planDataset: ${what} must be 3 positive ${integer ? 'integers' : 'numbers'}, got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}

/**
 * Plans preparation and batching from a fingerprint, nnU-Net style, and says why in one line per
 * decision: target spacing (median, or a low percentile along a very anisotropic axis), resampling
 * (cubic images, one-hot-linear labels, coarse axis separately), cropping to the non-zero region,
 * normalisation per channel from the modality (CT → dataset foreground clip + z-score; other
 * modalities → per-case z-score, inside the non-zero mask when cropping removed ≥ 25% of the median
 * case), the patch size (isotropic in mm, limited to the median shape at the target spacing, a multiple
 * of 2^(levels−1) per axis and at least `network.minPatch`, reduced along the axis that is largest
 * relative to the median shape until one step fits the memory budget) and the batch size (the most
 * that fits, at least 2, at most 5% of the dataset's voxels per batch).
 *
 * @throws InvalidArgumentError for bad options or an empty fingerprint.
 * @example
 * const plan = planDataset(fingerprint, { network: { levels: 3 } });
 * plan.patchSize;  // e.g. [96, 96, 64]
 * plan.decisions;  // one line per decision
 */
export function planDataset(fingerprint: DatasetFingerprint, options: PlanDatasetOptions): DatasetPlan {
  const cases = fingerprint.cases;
  if (cases.length === 0) throw new InvalidArgumentError('planDataset: the fingerprint has no cases');
  const levels = options.network.levels;
  if (!(Number.isInteger(levels) && levels >= 1)) throw new InvalidArgumentError(`planDataset: network.levels must be an integer ≥ 1, got ${levels}`);
  const threshold = options.anisotropyThreshold ?? 3;
  if (!(threshold > 1)) throw new InvalidArgumentError(`planDataset: anisotropyThreshold must be > 1, got ${threshold}`);
  const decisions: string[] = [];
  const adaptations: DatasetProblem[] = [];
  const crop = options.cropToNonZero ?? true;

  // Cropping.
  const cropped = cases.map((c) => (crop ? c.nonZeroShape : c.shape));
  const kept = cases.map((c, i) => cropped[i]!.reduce((a, b) => a * b, 1) / c.shape.reduce((a, b) => a * b, 1));
  const medianKept = percentile(kept, 50);
  decisions.push(
    crop
      ? `crop to the non-zero region (any channel ≠ 0, holes filled): the median case keeps ${(100 * medianKept).toFixed(0)}% of its voxels`
      : 'no cropping (given)',
  );

  // Target spacing.
  let spacing: Vec3;
  if (options.spacingMm) {
    spacing = checkVec3(options.spacingMm, 'spacingMm', false);
    decisions.push(`target spacing ${fmt(spacing)} mm: given`);
  } else {
    const t = targetSpacing(
      cases.map((c) => c.spacingMm),
      cropped,
      threshold,
    );
    spacing = t.spacingMm;
    decisions.push(t.reason);
  }
  const imageInterp = options.imageInterpolation ?? 'cubic';
  const anyAniso = cases.some((c) => separateAxis(c.spacingMm, spacing, threshold) !== null);
  decisions.push(
    `resampling: images ${imageInterp === 'cubic' ? 'cubic B-spline (order 3)' : 'linear'}, labels by linear interpolation of each class's one-hot map then argmax (no new label values); ` +
      (anyAniso
        ? `the coarse axis of cases (or a target) more than ${threshold}× anisotropic is resampled separately by nearest neighbour`
        : `no case is more than ${threshold}× anisotropic, so all axes together`),
  );

  // Normalisation.
  const modalities = fingerprint.dataset.modalities;
  const requested = options.normalization ?? modalities.map(() => 'auto' as const);
  if (requested.length !== modalities.length) {
    throw new InvalidArgumentError(
      `planDataset: normalization has ${requested.length} entr${requested.length === 1 ? 'y' : 'ies'}, expected one per channel (${modalities.join(', ')})`,
    );
  }
  const useMask = crop && medianKept < 0.75;
  const normalization: PlannedNormalization[] = modalities.map((name, channel) => {
    const r = requested[channel]!;
    const scheme = r === 'auto' ? (name.trim().toUpperCase() === 'CT' ? 'ct' : 'z-score') : r;
    const why = r === 'auto' ? `modality '${name}'` : 'given';
    const st = fingerprint.channels[channel]!;
    if (scheme === 'ct') {
      if (st.voxels === 0) throw new InvalidArgumentError(`planDataset: channel ${channel} '${name}' is CT but the dataset has no foreground voxels for its statistics`);
      const sd = Math.max(st.sd, 1e-8);
      decisions.push(
        `channel ${channel} '${name}' (${why}): CT — clip to the foreground percentiles [p0.5, p99.5] = ${fmt([st.p00_5, st.p99_5], 2)}, then z-score with the foreground mean ${st.mean.toFixed(2)} and sd ${sd.toFixed(2)} of all cases`,
      );
      return { channel, name, scheme: 'ct', clip: [st.p00_5, st.p99_5], mean: st.mean, sd };
    }
    if (scheme === 'z-score') {
      decisions.push(
        `channel ${channel} '${name}' (${why}): per-case z-score${useMask ? ` inside the non-zero mask (cropping removed ${(100 * (1 - medianKept)).toFixed(0)}% ≥ 25% of the median case; 0 outside)` : ' over the whole (cropped) case'}`,
      );
      return { channel, name, scheme: 'z-score', useMask };
    }
    if (scheme === 'none') {
      decisions.push(`channel ${channel} '${name}' (${why}): not normalised`);
      return { channel, name, scheme: 'none' };
    }
    throw new InvalidArgumentError(`planDataset: normalization[${channel}] is '${String(r)}', expected 'auto', 'ct', 'z-score' or 'none'`);
  });

  // Shapes at the target spacing.
  const shapes = cases.map((c, i) => [0, 1, 2].map((a) => Math.max(1, Math.round((cropped[i]![a]! * c.spacingMm[a]!) / spacing[a]!))) as Vec3);
  const medianShape = [0, 1, 2].map((a) => Math.round(percentile(shapes.map((s) => s[a]!), 50))) as Vec3;
  decisions.push(`median case shape after cropping, at the target spacing: ${fmt(medianShape, 0)} voxels`);

  // Patch size.
  const divisor = 2 ** (levels - 1);
  const minPatch = options.network.minPatch
    ? checkVec3(options.network.minPatch, 'network.minPatch', true)
    : ([divisor * 4, divisor * 4, divisor * 4] as Vec3);
  const roundUp = (n: number, a: number) => Math.max(minPatch[a]!, Math.ceil(n / divisor) * divisor);
  const memory = options.memory ?? PLACEHOLDER_MEMORY;
  let patch: Vec3;
  if (options.patchSize) {
    patch = checkVec3(options.patchSize, 'patchSize', true);
    decisions.push(`patch ${fmt(patch, 0)} voxels: given`);
  } else {
    // Start isotropic in mm with the volume of the largest batch-2 patch the budget allows (the model's
    // marginal bytes per voxel and its fixed part, e.g. parameters, from two cube sizes), then clip.
    const d = Math.max(...minPatch);
    const small = memory.estimateBytes([d, d, d], 2);
    const perVoxel = Math.max(1e-9, (memory.estimateBytes([2 * d, 2 * d, 2 * d], 2) - small) / (7 * d ** 3));
    const fixed = Math.max(0, small - perVoxel * d ** 3);
    const startVoxels = Math.max(minPatch[0] * minPatch[1] * minPatch[2], (memory.budgetBytes - fixed) / perVoxel);
    const inv = spacing.map((s) => 1 / s);
    const scale = Math.cbrt(startVoxels / (inv[0]! * inv[1]! * inv[2]!));
    const start = inv.map((x) => x * scale);
    patch = [0, 1, 2].map((a) => roundUp(Math.min(start[a]!, medianShape[a]!), a)) as Vec3;
    const first = [...patch];
    const reduced: string[] = [];
    while (memory.estimateBytes(patch, 2) > memory.budgetBytes) {
      const order = [0, 1, 2]
        .filter((a) => patch[a]! - divisor >= minPatch[a]!)
        .sort((a, b) => patch[b]! / medianShape[b]! - patch[a]! / medianShape[a]!);
      if (order.length === 0) break;
      patch[order[0]!] = patch[order[0]!]! - divisor;
      reduced.push(AXES[order[0]!]!);
    }
    const counts = [...new Set(reduced)].map((ax) => `${ax} ×${reduced.filter((r) => r === ax).length}`).join(', ');
    decisions.push(
      `patch ${fmt(patch, 0)} voxels: isotropic in mm, limited to the median shape, multiples of 2^(levels−1) = ${divisor} and ≥ ${fmt(minPatch, 0)} (the network pools every axis ${levels - 1} time(s))` +
        (reduced.length ? `; reduced from ${fmt(first, 0)} by ${divisor} voxels at a time along the axis largest relative to the median shape (${counts}) to fit the memory budget` : ''),
    );
  }
  const anisoPatch = Math.max(...patch.map((p, a) => p * spacing[a]!)) / Math.min(...patch.map((p, a) => p * spacing[a]!));
  if (anisoPatch > 1.5) decisions.push(`the patch is anisotropic in voxels to cover a similar extent in mm: ${fmt(patch.map((p, a) => p * spacing[a]!), 1)} mm`);

  // Batch size.
  const totalVoxels = shapes.reduce((s, sh) => s + sh[0] * sh[1] * sh[2], 0);
  const patchVoxels = patch[0] * patch[1] * patch[2];
  let batch: number;
  if (options.batchSize !== undefined) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
      throw new InvalidArgumentError(`planDataset: batchSize must be an integer ≥ 1, got ${options.batchSize}`);
    }
    batch = options.batchSize;
    decisions.push(`batch size ${batch}: given`);
  } else {
    let fit = 2;
    while (memory.estimateBytes(patch, fit + 1) <= memory.budgetBytes) fit++;
    const cap = Math.max(2, Math.floor((0.05 * totalVoxels) / patchVoxels));
    batch = Math.max(2, Math.min(fit, cap));
    decisions.push(
      `batch size ${batch}: the most that fits the memory budget (${fit}), at least 2, at most 5% of the dataset's voxels per batch (${cap})`,
    );
  }
  const estimateBytes = memory.estimateBytes(patch, batch);
  decisions.push(`memory: ${mib(estimateBytes)} per training step of ${mib(memory.budgetBytes)} budget — ${memory.rule}`);
  if (estimateBytes > memory.budgetBytes) decisions.push(`WARNING: the estimate exceeds the budget even at the smallest patch the network allows`);

  // Per-case adaptations.
  cases.forEach((c, i) => {
    const small = [0, 1, 2].filter((a) => shapes[i]![a]! < patch[a]!);
    if (small.length) {
      adaptations.push({
        caseId: c.id,
        problem: `smaller than the patch along ${small.map((a) => `${AXES[a]} (${shapes[i]![a]} < ${patch[a]})`).join(', ')} after preprocessing: its patches are zero-padded`,
      });
    }
  });
  if (adaptations.length) decisions.push(`${adaptations.length} case(s) smaller than the patch: zero-padded (see adaptations)`);
  const tiny = fingerprint.classes.filter((k) => k.value !== 0 && k.smallestStructure && k.smallestStructure.voxels < 27);
  for (const k of tiny) {
    decisions.push(
      `class ${k.value} '${k.name}': smallest structure ${k.smallestStructure!.voxels} voxel(s) (${k.smallestStructure!.mm3.toFixed(1)} mm³, case ${k.smallestStructure!.caseId}) — class-balanced sampling reaches it more often than foreground oversampling`,
    );
  }

  return {
    format: 'voxnas-plan@1',
    fingerprint,
    targetSpacingMm: spacing,
    resampling: { image: imageInterp, label: 'one-hot-linear', anisotropyThreshold: threshold, coarseAxis: 'nearest' },
    cropToNonZero: crop,
    normalization,
    medianShape,
    patchSize: patch,
    batchSize: batch,
    network: { levels, divisor, minPatch },
    memory: { rule: memory.rule, estimateBytes, budgetBytes: memory.budgetBytes },
    adaptations,
    decisions,
  };
}
