import {
  boundingBox,
  crop,
  nonZeroMask,
  normalizeChannels,
  orientationCode,
  reorient,
  resample,
  resampleLabels,
  spacingMm,
  type AxisInterpolation,
  type Box,
  type Volume,
  zScore,
} from '@voxnas/volume';
import { separateAxis, type DatasetPlan } from './plan.js';

type Vec3 = [number, number, number];

/** A case prepared as a plan says, with what was done to it. */
export interface PreparedCase {
  readonly id: string;
  /** Cropped, normalised, resampled image (float32, target spacing; the affine keeps world positions). */
  readonly image: Volume<'float32'>;
  /** The label map on the same grid (one-hot linear + argmax), or null for an unlabelled case. */
  readonly label: Volume | null;
  /** The crop box in the original voxel grid (the whole grid when nothing was cropped). */
  readonly box: Box;
  /** The axis resampled separately (very anisotropic case or target), or null. */
  readonly separateAxis: 0 | 1 | 2 | null;
  /** False when the case already had the target spacing (nothing resampled). */
  readonly resampled: boolean;
  /** Label values present before resampling and gone after it (structures too small for the target spacing). */
  readonly lostClasses: readonly number[];
}

/** The plan fields preparation needs (a full {@link DatasetPlan}, or the copy in a model card). */
export type PreparationPlan = Pick<DatasetPlan, 'targetSpacingMm' | 'resampling' | 'cropToNonZero' | 'normalization'>;

const SAME = 1e-6;

/**
 * Prepares one case as the plan says, in nnU-Net's order: crop image and label to the bounding box of
 * the image's non-zero region → normalise each channel by its scheme (dataset statistics for CT,
 * per-case z-score otherwise, inside the non-zero mask when the plan says so) → resample to the
 * target spacing (images cubic or linear, labels by one-hot linear interpolation + argmax; the coarse
 * axis of a very anisotropic case separately). Every step keeps the affine right, so a prediction on
 * the prepared grid maps back onto the original one through the affines.
 *
 * @example
 * const p = preprocessCase(await ds.loadCase('case_01'), plan);
 * p.image.shape;    // at plan.targetSpacingMm
 * p.lostClasses;    // [] unless a structure vanished at the target spacing
 */
export function preprocessCase(c: { id: string; image: Volume; label: Volume | null }, plan: PreparationPlan): PreparedCase {
  const needMask = plan.cropToNonZero || plan.normalization.some((n) => n.scheme === 'z-score' && n.useMask);
  let image = c.image;
  let label = c.label;
  let mask: Volume | null = needMask ? nonZeroMask(image) : null;
  const whole: Box = { start: [0, 0, 0], end: [...image.shape] as Vec3 };
  let box = whole;
  if (plan.cropToNonZero && mask) {
    box = boundingBox(mask) ?? whole;
    if (box.start.some((s, a) => s !== 0 || box.end[a] !== image.shape[a])) {
      image = crop(image, box);
      label = label && crop(label, box);
      mask = crop(mask, box);
    }
  }
  let norm: Volume = normalizeChannels(image, { channels: plan.normalization, ...(mask ? { mask } : {}) });
  const spacing = spacingMm(norm);
  const target = plan.targetSpacingMm;
  const resampled = spacing.some((s, a) => Math.abs(s - target[a]!) > SAME * target[a]!);
  let axis: 0 | 1 | 2 | null = null;
  const before = label ? presentValues(label) : null;
  if (resampled) {
    axis = separateAxis(spacing, target, plan.resampling.anisotropyThreshold);
    const imageAxes = [0, 1, 2].map((a) => (a === axis ? plan.resampling.coarseAxis : plan.resampling.image)) as [
      AxisInterpolation,
      AxisInterpolation,
      AxisInterpolation,
    ];
    norm = resample(norm, { spacingMm: target, axisInterpolation: imageAxes });
    if (label) {
      const coarse = plan.resampling.coarseAxis;
      label = resampleLabels(label, {
        spacingMm: target,
        axisInterpolation: [0, 1, 2].map((a) => (a === axis ? coarse : 'linear')) as ['linear' | 'nearest', 'linear' | 'nearest', 'linear' | 'nearest'],
      });
    }
  }
  const after = label ? presentValues(label) : null;
  const lostClasses = before && after ? [...before].filter((v) => !after.has(v)).sort((a, b) => a - b) : [];
  return { id: c.id, image: norm as Volume<'float32'>, label, box, separateAxis: axis, resampled, lostClasses };
}

function presentValues(v: Volume): Set<number> {
  const s = new Set<number>();
  const d = v.data;
  for (let i = 0; i < d.length; i++) s.add(d[i]!);
  return s;
}

/** How an image is prepared for the network: the plan's preparation fields and the training data's majority orientation. */
export type Preparation = PreparationPlan & { readonly orientation: string | null };

/** The preparation fields of a plan and the majority orientation of its cases (what prediction needs of a plan). */
export function preparationOf(plan: DatasetPlan): Preparation {
  const counts = new Map<string, number>();
  for (const c of plan.fingerprint.cases) counts.set(c.orientation, (counts.get(c.orientation) ?? 0) + 1);
  const orientation = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return {
    targetSpacingMm: plan.targetSpacingMm,
    resampling: plan.resampling,
    cropToNonZero: plan.cropToNonZero,
    normalization: plan.normalization,
    orientation,
  };
}

/**
 * Prepares an input image the way the training cases were: reoriented to the training orientation,
 * then the plan's crop → normalise → resample (or, for a run without a plan, a per-case z-score).
 * Every step keeps the affine right, so predictions map back onto the input grid.
 *
 * @example
 * const x = prepareForNetwork(image, { preparation: preparationOf(parsePlan(json, 'plan.json')), orientation: 'RAS' });
 */
export function prepareForNetwork(image: Volume, o: { preparation: Preparation | null; orientation: string | null }): Volume {
  const orientation = o.preparation?.orientation ?? o.orientation;
  const oriented = orientation && orientationCode(image) !== orientation ? reorient(image, orientation) : image;
  return o.preparation ? preprocessCase({ id: 'input', image: oriented, label: null }, o.preparation).image : zScore(oriented);
}
