import {
  boundingBox,
  componentSizes,
  createVolume,
  nonZeroMask,
  orientationCode,
  percentiles,
  spacingMm,
  voxelCount,
  type Volume,
} from '@voxnas/volume';
import { checkCase, type Dataset, type LoadedCase } from './dataset.js';
import { datasetError } from './dataset-error.js';
import type { DatasetDescription } from './layouts.js';

type Vec3 = [number, number, number];

/** What the fingerprint records of one case (before any preprocessing). */
export interface CaseFingerprint {
  readonly id: string;
  /** Voxel grid [nx, ny, nz]. */
  readonly shape: Vec3;
  /** Voxel size in mm along i, j, k. */
  readonly spacingMm: Vec3;
  /** Axis codes of the affine, e.g. 'RAS'. */
  readonly orientation: string;
  /** Box of the non-zero region (any channel ≠ 0, holes filled), start inclusive / end exclusive; null when all zero. */
  readonly nonZeroBox: { readonly start: Vec3; readonly end: Vec3 } | null;
  /** Size of that box in voxels (the whole shape when the image has no zero border). */
  readonly nonZeroShape: Vec3;
  /** Voxels per label value present (keys are label values). */
  readonly classVoxels: Readonly<Record<string, number>>;
}

/** Intensity statistics of one channel over the foreground voxels (label > 0) of every case. */
export interface ChannelFingerprint {
  readonly name: string;
  /** Foreground voxels counted (mean, sd, min, max are exact over all of them). */
  readonly voxels: number;
  readonly mean: number;
  /** Population standard deviation (ddof 0). */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  /** Percentiles 0.5 and 99.5 (numpy's linear rule) over the sampled foreground voxels. */
  readonly p00_5: number;
  readonly p99_5: number;
  /** Foreground voxels the percentiles were taken over (all of them unless a case had more than `samplesPerCase`). */
  readonly sampled: number;
}

/** Label statistics of one class over the dataset. */
export interface ClassFingerprint {
  readonly value: number;
  readonly name: string;
  /** Voxels of this class in all cases. */
  readonly voxels: number;
  /** Share of all voxels of all cases. */
  readonly fraction: number;
  /** Cases that contain the class. */
  readonly cases: number;
  /**
   * The smallest connected structure (6-neighbourhood component) of the class in any case: voxels,
   * volume in mm³ and the case; null for the background or an absent class.
   */
  readonly smallestStructure: { readonly voxels: number; readonly mm3: number; readonly caseId: string } | null;
}

/** A dataset's fingerprint (`voxnas-fingerprint@1`): everything planning decides from, gathered in one read of each case. */
export interface DatasetFingerprint {
  readonly format: 'voxnas-fingerprint@1';
  readonly dataset: {
    readonly name: string;
    readonly layout: DatasetDescription['layout'];
    readonly modalities: readonly string[];
    /** Label value → name. */
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly cases: readonly CaseFingerprint[];
  readonly channels: readonly ChannelFingerprint[];
  readonly classes: readonly ClassFingerprint[];
}

/** Options of {@link createFingerprint} and {@link fingerprintDataset}. */
export interface FingerprintOptions {
  /**
   * Foreground voxels per case and channel kept for the percentiles (default 100 000; a case with more
   * contributes every k-th foreground voxel, k = ⌈count / samplesPerCase⌉, deterministic). nnU-Net
   * draws 10 000 at random.
   */
  readonly samplesPerCase?: number;
}

/** Per-channel running statistics (Chan et al.'s pairwise combination of per-case mean and M2). */
interface Running {
  n: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  samples: Float32Array[];
  sampled: number;
}

/** Accumulates a fingerprint one decoded case at a time (so a caller that also preprocesses reads each case once). */
export interface FingerprintAccumulator {
  /** Checks the case against the description (typed `DatasetError` naming it) and adds its statistics. */
  add(c: LoadedCase): CaseFingerprint;
  /** The fingerprint of the cases added so far. */
  finish(): DatasetFingerprint;
}

/**
 * Starts a fingerprint of `description`'s dataset; `add` each training case (with its label), then
 * `finish`. A case whose label holds a value missing from `dataset.json`, whose channels disagree with
 * the modalities, or that has non-finite intensities fails with a {@link DatasetError} naming it.
 *
 * @example
 * const acc = createFingerprint(ds);
 * for (const id of ds.caseIds) acc.add(await ds.loadCase(id)); // each case read once
 * const fp = acc.finish();
 */
export function createFingerprint(
  description: Pick<DatasetDescription, 'name' | 'layout' | 'modalities' | 'labels'>,
  options: FingerprintOptions = {},
): FingerprintAccumulator {
  const perCase = options.samplesPerCase ?? 100_000;
  const C = description.modalities.length;
  const running: Running[] = Array.from({ length: C }, () => ({ n: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity, samples: [], sampled: 0 }));
  const cases: CaseFingerprint[] = [];
  const classTotals = new Map<number, { voxels: number; cases: number; smallest: ClassFingerprint['smallestStructure'] }>();
  let allVoxels = 0;
  return {
    add(c) {
      const problems = checkCase(description, c);
      if (!c.label) problems.push({ caseId: c.id, problem: 'training case has no label' });
      if (problems.length) throw datasetError(`fingerprint(${description.name})`, problems);
      const label = c.label!;
      const fp = fingerprintCase(c.image, label, c.id);
      cases.push(fp);
      const n = voxelCount(c.image.shape);
      allVoxels += n;
      addForeground(running, c.image, label, perCase);
      const voxMm3 = fp.spacingMm.reduce((a, b) => a * b, 1); // the spacing the fingerprint reports
      for (const [k, count] of Object.entries(fp.classVoxels)) {
        const v = Number(k);
        const t = classTotals.get(v) ?? { voxels: 0, cases: 0, smallest: null };
        t.voxels += count;
        t.cases += 1;
        if (v !== 0) {
          const sizes = componentSizes(label, { value: v });
          const min = sizes[sizes.length - 1]!;
          if (t.smallest === null || min < t.smallest.voxels) t.smallest = { voxels: min, mm3: min * voxMm3, caseId: c.id };
        }
        classTotals.set(v, t);
      }
      return fp;
    },
    finish() {
      const labels = [...description.labels.entries()].sort((a, b) => a[0] - b[0]);
      return {
        format: 'voxnas-fingerprint@1',
        dataset: {
          name: description.name,
          layout: description.layout,
          modalities: [...description.modalities],
          labels: Object.fromEntries(labels.map(([v, name]) => [String(v), name])),
        },
        cases,
        channels: running.map((r, ch) => finishChannel(r, description.modalities[ch]!)),
        classes: labels.map(([value, name]) => {
          const t = classTotals.get(value);
          return {
            value,
            name,
            voxels: t?.voxels ?? 0,
            fraction: allVoxels > 0 ? (t?.voxels ?? 0) / allVoxels : 0,
            cases: t?.cases ?? 0,
            smallestStructure: t?.smallest ?? null,
          };
        }),
      };
    },
  };
}

/**
 * Fingerprints a dataset's training cases (or `caseIds`), reading each case once; `onCase` sees every
 * decoded case (e.g. to keep it for preprocessing instead of reading it again).
 *
 * @example
 * const fp = await fingerprintDataset(await openDataset(root, { validate: 'files' }));
 * fp.cases[0].spacingMm; // [0.7, 0.7, 5]
 */
export async function fingerprintDataset(
  dataset: Dataset,
  options: FingerprintOptions & { caseIds?: readonly string[]; onCase?: (c: LoadedCase) => void | Promise<void> } = {},
): Promise<DatasetFingerprint> {
  const acc = createFingerprint(dataset, options);
  for (const id of options.caseIds ?? dataset.caseIds) {
    const c = await dataset.loadCase(id);
    acc.add(c);
    await options.onCase?.(c);
  }
  return acc.finish();
}

function fingerprintCase(image: Volume, label: Volume, id: string): CaseFingerprint {
  const box = boundingBox(nonZeroMask(image));
  const counts = new Map<number, number>();
  const d = label.data;
  for (let i = 0; i < d.length; i++) counts.set(d[i]!, (counts.get(d[i]!) ?? 0) + 1);
  const sp = spacingMm(image);
  return {
    id,
    shape: [...image.shape] as Vec3,
    spacingMm: sp.map((x) => +x.toPrecision(7)) as Vec3, // NIfTI stores float32: 7 significant digits
    orientation: orientationCode(image),
    nonZeroBox: box ? { start: [...box.start] as Vec3, end: [...box.end] as Vec3 } : null,
    nonZeroShape: box ? ([0, 1, 2].map((a) => box.end[a]! - box.start[a]!) as Vec3) : ([...image.shape] as Vec3),
    classVoxels: Object.fromEntries([...counts].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
  };
}

function addForeground(running: Running[], image: Volume, label: Volume, perCase: number): void {
  const n = voxelCount(image.shape);
  const lab = label.data;
  let fg = 0;
  for (let i = 0; i < n; i++) if (lab[i]! > 0) fg++;
  if (fg === 0) return;
  const step = Math.max(1, Math.ceil(fg / perCase));
  const img = image.data;
  running.forEach((r, ch) => {
    const off = ch * n;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      if (lab[i]! > 0) {
        const x = img[off + i]!;
        sum += x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    const mean = sum / fg;
    let m2 = 0;
    const samples = new Float32Array(Math.ceil(fg / step));
    let k = 0;
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (lab[i]! > 0) {
        const x = img[off + i]!;
        m2 += (x - mean) * (x - mean);
        if (j++ % step === 0) samples[k++] = x;
      }
    }
    const total = r.n + fg;
    const delta = mean - r.mean;
    r.m2 += m2 + (delta * delta * r.n * fg) / total;
    r.mean += (delta * fg) / total;
    r.n = total;
    r.min = Math.min(r.min, min);
    r.max = Math.max(r.max, max);
    r.samples.push(samples.subarray(0, k));
    r.sampled += k;
  });
}

function finishChannel(r: Running, name: string): ChannelFingerprint {
  if (r.n === 0) return { name, voxels: 0, mean: 0, sd: 1, min: 0, max: 0, p00_5: 0, p99_5: 0, sampled: 0 };
  const all = new Float32Array(r.sampled);
  let o = 0;
  for (const s of r.samples) {
    all.set(s, o);
    o += s.length;
  }
  const [lo, hi] = percentiles(createVolume({ data: all, shape: [all.length, 1, 1] }), [0.5, 99.5])[0]!;
  return { name, voxels: r.n, mean: r.mean, sd: Math.sqrt(r.m2 / r.n), min: r.min, max: r.max, p00_5: lo!, p99_5: hi!, sampled: r.sampled };
}
