import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { GeometryError, spacingMm, type Volume } from '@voxnas/volume';
import type { Shape3, Spacing3 } from './distance-transform.js';
import type { Box } from './surface.js';
import {
  maskMetricsCore,
  resolveMetricOptions,
  type ConfusionCounts,
  type EmptyCase,
  type MetricOptions,
  type MetricValues,
} from './mask-metrics.js';

/** A named union of labels evaluated as one foreground, e.g. BraTS whole tumour `{ name: 'WT', labels: [1, 2, 4] }`. */
export interface Region {
  name: string;
  labels: readonly number[];
}

/** BraTS regions on the classic label set (1 necrosis/non-enhancing core, 2 oedema, 4 enhancing tumour). */
export const BRATS_REGIONS: readonly Region[] = Object.freeze([
  Object.freeze({ name: 'WT', labels: Object.freeze([1, 2, 4]) }),
  Object.freeze({ name: 'TC', labels: Object.freeze([1, 4]) }),
  Object.freeze({ name: 'ET', labels: Object.freeze([4]) }),
]);

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateOptions extends MetricOptions {
  /**
   * Labels evaluated one by one (each label vs the rest). Default: when `regions` is not given, every
   * non-zero label present in either volume; when it is, none.
   */
  labels?: readonly number[];
  /** Names of labels in the results (default: the label as a string). */
  labelNames?: Readonly<Record<number, string>>;
  /** Unions of labels evaluated as one foreground each, after the single labels. */
  regions?: readonly Region[];
  /** Largest allowed |difference| between the two affines, per entry, in mm (default 1e-4). */
  affineToleranceMm?: number;
}

/** Metrics of one label or region. */
export interface ClassResult {
  /** The label as a string, its `labelNames` entry, or the region name. */
  name: string;
  /** The labels forming this foreground. */
  labels: number[];
  metrics: MetricValues;
  counts: ConfusionCounts;
  volumeMm3: { prediction: number; reference: number };
  surfaceVoxels: { prediction: number; reference: number };
  empty: EmptyCase;
}

/** Result of {@link evaluateSegmentation}. */
export interface SegmentationResult {
  classes: ClassResult[];
  shape: [number, number, number];
  spacingMm: [number, number, number];
}

/**
 * Evaluates a label-map prediction against a reference label map on the same grid: per label and per
 * region, every metric of `computeMaskMetrics` (Dice, IoU, precision, recall, specificity, volume
 * similarity, Hausdorff, HD95, ASSD, NSD), with distances in mm from the affine's spacing.
 *
 * The grids must match: same shape, one channel each, and affines equal within `affineToleranceMm`
 * — otherwise `ShapeMismatchError`. The affine's columns must be orthogonal (a sheared grid has no
 * separable metric) — otherwise `GeometryError`. Empty masks follow `options.empty`.
 *
 * @example
 * const shape = [9, 8, 7] as const;
 * const ref = createVolume({ data: new Uint8Array(504), shape, kind: 'label' });
 * const pred = createVolume({ data: new Uint8Array(504), shape, kind: 'label' });
 * ref.data.fill(1, 72, 216); pred.data.fill(1, 100, 230); ref.data.fill(4, 300, 320);
 * const res = evaluateSegmentation(pred, ref, { regions: BRATS_REGIONS });
 * res.classes.map((c) => c.name); // ['WT', 'TC', 'ET']
 */
export function evaluateSegmentation(
  prediction: Volume,
  reference: Volume,
  options: EvaluateOptions = {},
): SegmentationResult {
  const where = 'evaluateSegmentation';
  checkGrids(prediction, reference, options.affineToleranceMm ?? 1e-4);
  const shape: Shape3 = reference.shape;
  const spacing = checkOrthogonal(reference);
  const opts = resolveMetricOptions(options, shape, spacing, where); // validate once, before any work

  const entries: { name: string; labels: number[] }[] = [];
  for (const r of options.regions ?? []) {
    if (typeof r.name !== 'string' || r.labels.length === 0) {
      throw new InvalidArgumentError(
        `${where}: region ${JSON.stringify(r.name)} must have a name and at least one label, got labels [${r.labels.join(', ')}]`,
      );
    }
  }
  const labels = options.labels ?? (options.regions ? [] : presentLabels(prediction, reference));
  for (const l of labels) {
    if (!Number.isFinite(l)) throw new InvalidArgumentError(`${where}: labels must be finite numbers, got ${l}`);
    entries.push({ name: options.labelNames?.[l] ?? String(l), labels: [l] });
  }
  for (const r of options.regions ?? []) entries.push({ name: r.name, labels: [...r.labels] });

  // One pass per volume finds every label's bounding box; each class then works on the union box of
  // its labels grown by one voxel (so the surface test sees the true background around it).
  const predBoxes = labelBoxes(prediction.data, shape);
  const refBoxes = labelBoxes(reference.data, shape);
  const n = shape[0] * shape[1] * shape[2];
  const classes: ClassResult[] = entries.map((e) => {
    let box: Box | null = null;
    for (const l of e.labels) box = unionBox(unionBox(box, predBoxes.get(l) ?? null), refBoxes.get(l) ?? null);
    // Label 0 (background) is not boxed: evaluate it on the whole grid.
    if (e.labels.includes(0)) box = { x0: 0, x1: shape[0], y0: 0, y1: shape[1], z0: 0, z1: shape[2] };
    const crop: Box = box
      ? {
          x0: Math.max(0, box.x0 - 1),
          x1: Math.min(shape[0], box.x1 + 1),
          y0: Math.max(0, box.y0 - 1),
          y1: Math.min(shape[1], box.y1 + 1),
          z0: Math.max(0, box.z0 - 1),
          z1: Math.min(shape[2], box.z1 + 1),
        }
      : { x0: 0, x1: 1, y0: 0, y1: 1, z0: 0, z1: 1 };
    const cshape: Shape3 = [crop.x1 - crop.x0, crop.y1 - crop.y0, crop.z1 - crop.z0];
    const cn = cshape[0] * cshape[1] * cshape[2];
    const p = cropMask(prediction.data, shape, crop, e.labels);
    const q = cropMask(reference.data, shape, crop, e.labels);
    const m = maskMetricsCore(p, q, {
      shape: cshape,
      spacing,
      opts,
      where: `${where}(${e.name})`,
      outsideVoxels: n - cn,
    });
    return { name: e.name, labels: e.labels, ...m };
  });
  return { classes, shape: [shape[0], shape[1], shape[2]], spacingMm: [spacing[0], spacing[1], spacing[2]] };
}

/** Bounding box (half-open) of every non-zero value of a label map, in one pass. */
function labelBoxes(data: ArrayLike<number>, shape: Shape3): Map<number, Box> {
  const [nx, ny, nz] = shape;
  const boxes = new Map<number, Box>();
  let p = 0;
  let last = Number.NaN;
  let b: Box | undefined;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const v = data[p]!;
        if (v === 0) continue;
        if (v !== last) {
          b = boxes.get(v);
          if (!b) {
            b = { x0: i, x1: i + 1, y0: j, y1: j + 1, z0: k, z1: k + 1 };
            boxes.set(v, b);
          }
          last = v;
        }
        const bb = b!;
        if (i < bb.x0) bb.x0 = i;
        if (i >= bb.x1) bb.x1 = i + 1;
        if (j < bb.y0) bb.y0 = j;
        if (j >= bb.y1) bb.y1 = j + 1;
        if (k >= bb.z1) bb.z1 = k + 1;
      }
    }
  }
  return boxes;
}

function unionBox(a: Box | null, b: Box | null): Box | null {
  if (!a) return b ? { ...b } : null;
  if (!b) return a;
  return {
    x0: Math.min(a.x0, b.x0),
    x1: Math.max(a.x1, b.x1),
    y0: Math.min(a.y0, b.y0),
    y1: Math.max(a.y1, b.y1),
    z0: Math.min(a.z0, b.z0),
    z1: Math.max(a.z1, b.z1),
  };
}

/** The binary mask "value ∈ labels" of the voxels inside `box`, x fastest. */
function cropMask(data: ArrayLike<number>, shape: Shape3, box: Box, labels: readonly number[]): Uint8Array {
  const [nx, ny] = shape;
  const bx = box.x1 - box.x0;
  const out = new Uint8Array(bx * (box.y1 - box.y0) * (box.z1 - box.z0));
  const single = labels.length === 1 ? labels[0]! : Number.NaN;
  const set = labels.length === 1 ? null : new Set(labels);
  let o = 0;
  for (let k = box.z0; k < box.z1; k++) {
    for (let j = box.y0; j < box.y1; j++) {
      const row = k * nx * ny + j * nx;
      for (let i = box.x0; i < box.x1; i++, o++) {
        const v = data[row + i]!;
        out[o] = (set === null ? v === single : set.has(v)) ? 1 : 0;
      }
    }
  }
  return out;
}

function presentLabels(a: Volume, b: Volume): number[] {
  const seen = new Set<number>();
  for (const v of [a, b]) {
    const d = v.data;
    let last = 0;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (x !== last && x !== 0) {
        seen.add(x);
        last = x;
      }
    }
  }
  return [...seen].sort((x, y) => x - y);
}

function checkGrids(p: Volume, r: Volume, tol: number): void {
  const where = 'evaluateSegmentation';
  if (p.channels !== 1 || r.channels !== 1) {
    throw new ShapeMismatchError(
      `${where}: prediction has ${p.channels} and reference ${r.channels} channel(s), expected 1 each (label maps)`,
    );
  }
  if (p.shape[0] !== r.shape[0] || p.shape[1] !== r.shape[1] || p.shape[2] !== r.shape[2]) {
    throw new ShapeMismatchError(
      `${where}: prediction shape [${p.shape.join(', ')}] differs from reference shape [${r.shape.join(', ')}]; resample the prediction onto the reference grid first`,
    );
  }
  for (let i = 0; i < 16; i++) {
    const d = Math.abs(p.affine[i]! - r.affine[i]!);
    if (!(d <= tol)) {
      throw new ShapeMismatchError(
        `${where}: prediction affine[${Math.floor(i / 4)}][${i % 4}] is ${p.affine[i]}, reference has ${r.affine[i]} ` +
          `(|Δ| ${d.toPrecision(3)} > affineToleranceMm ${tol}); the label maps are not on the same grid`,
      );
    }
  }
}

function checkOrthogonal(v: Volume): Spacing3 {
  const a = v.affine;
  const s = spacingMm(v);
  for (const [i, j] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const) {
    const dot = a[i]! * a[j]! + a[4 + i]! * a[4 + j]! + a[8 + i]! * a[8 + j]!;
    const cos = dot / (s[i] * s[j]);
    if (Math.abs(cos) > 1e-6) {
      throw new GeometryError(
        `evaluateSegmentation: affine columns ${i} and ${j} are not orthogonal (cos ${cos.toPrecision(3)}), expected an orthogonal voxel grid; sheared grids have no axis-separable distance`,
      );
    }
  }
  return s;
}
