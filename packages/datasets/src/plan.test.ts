import { expectClose, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { onNiftiFileRead } from '@voxnas/volume/node';
import { spacingMm } from '@voxnas/volume';
import { openDataset } from './dataset.js';
import { fingerprintDataset, type DatasetFingerprint } from './fingerprint.js';
import { parsePlan } from './parse-plan.js';
import { planDataset, targetSpacing, type DatasetPlan } from './plan.js';
import { preprocessCase, type PreparedCase } from './preprocess.js';
import { PLANNING_REFERENCE } from '../test/planning-reference.js';
import { writeSyntheticDataset, type SyntheticCase } from '../test/synthetic-datasets.js';

type Vec3 = [number, number, number];
interface RefCase {
  shape: Vec3;
  spacing: Vec3;
  orientation: string;
  box: [Vec3, Vec3];
  classVoxels: Record<string, number>;
  smallest: Record<string, number>;
}
interface Reference {
  cases: RefCase[];
  channels: { mean: number; sd: number; p00_5: number; p99_5: number; min: number; max: number; voxels: number }[];
  target: Vec3;
  useMask: boolean;
  prepared: { image: number[]; shape: Vec3; labels: number[]; margin: number[]; separateAxis: number | null }[];
}

/**
 * Three synthetic MSD datasets, each fingerprinted, planned and preprocessed by voxnas and by an
 * independent numpy/scipy/nibabel pipeline (nnU-Net's rules; see internal/planning-reference.ts).
 */
const DATASETS: { name: string; modality: 'ct' | 'mri'; cases: SyntheticCase[]; expectTarget: string }[] = [
  {
    name: 'CT, isotropic 1 mm',
    modality: 'ct',
    cases: [
      { shape: [14, 13, 11], spacingMm: [1, 1, 1] },
      { shape: [13, 14, 12], spacingMm: [1, 1, 1] },
      { shape: [15, 12, 10], spacingMm: [1, 1, 1] },
    ],
    expectTarget: 'median',
  },
  {
    name: 'CT, mixed spacings',
    modality: 'ct',
    cases: [
      { shape: [14, 13, 11], spacingMm: [1, 1, 1] },
      { shape: [12, 12, 10], spacingMm: [1.2, 1.15, 1.1] },
      { shape: [16, 14, 12], spacingMm: [0.85, 0.9, 0.95] },
    ],
    expectTarget: 'median',
  },
  {
    name: 'MRI, 0.7×0.7×5 mm anisotropic',
    modality: 'mri',
    cases: [
      { shape: [20, 19, 5], spacingMm: [0.7, 0.7, 5] },
      { shape: [20, 20, 4], spacingMm: [0.75, 0.75, 6] },
      { shape: [19, 20, 6], spacingMm: [0.7, 0.7, 4] },
    ],
    expectTarget: '10th percentile',
  },
];

async function run(d: (typeof DATASETS)[number], dir: string) {
  const root = await writeSyntheticDataset(dir, { modality: d.modality, cases: d.cases, seed: 3 });
  const ds = await openDataset(root, { validate: 'files' });
  const reads = new Map<string, number>();
  const stop = onNiftiFileRead(({ path }) => reads.set(path, (reads.get(path) ?? 0) + 1));
  const decoded: Parameters<typeof preprocessCase>[0][] = [];
  let fp: DatasetFingerprint;
  try {
    fp = await fingerprintDataset(ds, { onCase: (c) => void decoded.push(c) });
  } finally {
    stop();
  }
  const plan = planDataset(fp, { network: { levels: 2, minPatch: [4, 4, 2] } });
  const prepared = decoded.map((c) => preprocessCase(c, plan));
  const ref = runPythonReference<Reference>(PLANNING_REFERENCE, { root, target: plan.targetSpacingMm });
  return { root, fp, plan, prepared, ref, reads };
}

describe.each(DATASETS)('planning on a synthetic dataset: $name', (d) => {
  let r: Awaited<ReturnType<typeof run>>;
  const setup = (fn: () => void | Promise<void>) => async () => {
    if (!r) await withTempDir(async (dir) => void (r = await run(d, dir)));
    await fn();
  };

  it(
    'the fingerprint reads each file once and agrees with nibabel/numpy/scipy',
    setup(() => {
      const { fp, ref, reads } = r;
      expect([...reads.values()]).toEqual(Array(2 * d.cases.length).fill(1));
      fp.cases.forEach((c, i) => {
        const q = ref.cases[i]!;
        expect(c.shape).toEqual(q.shape);
        expectClose(c.spacingMm, q.spacing, { atol: 1e-5, rtol: 1e-5 });
        expect(c.orientation).toBe(q.orientation);
        expect(c.nonZeroBox).toEqual({ start: q.box[0], end: q.box[1] });
        expect(c.classVoxels).toEqual(q.classVoxels);
      });
      for (const k of fp.classes.filter((k) => k.value !== 0)) {
        const perCase = ref.cases.map((q) => q.smallest[String(k.value)]).filter((x): x is number => x !== undefined);
        expect(k.smallestStructure?.voxels).toBe(Math.min(...perCase));
        const c = fp.cases.find((x) => x.id === k.smallestStructure!.caseId)!;
        expect(k.smallestStructure!.mm3).toBeCloseTo(k.smallestStructure!.voxels * c.spacingMm.reduce((a, b) => a * b, 1), 6);
      }
      const ch = fp.channels[0]!;
      const q = ref.channels[0]!;
      expect(ch.voxels).toBe(q.voxels);
      expect(ch.sampled).toBe(q.voxels);
      expectClose([ch.mean, ch.sd, ch.min, ch.max, ch.p00_5, ch.p99_5], [q.mean, q.sd, q.min, q.max, q.p00_5, q.p99_5], { atol: 1e-4, rtol: 1e-6 });
    }),
  );

  it(
    "the target spacing follows nnU-Net's rule",
    setup(() => {
      // the fingerprint reports spacings at float32's 7 significant digits (0.7, not 0.699999988)
      expectClose(r.plan.targetSpacingMm, r.ref.target, { atol: 0, rtol: 2e-7 });
      expect(r.plan.decisions.find((l) => l.startsWith('target spacing'))).toContain(d.expectTarget);
    }),
  );

  it(
    'the normalisation follows the modality (CT: dataset foreground statistics; MRI: per case, masked when cropping removed ≥ 25%)',
    setup(() => {
      const n = r.plan.normalization[0]!;
      if (d.modality === 'ct') {
        expect(n.scheme).toBe('ct');
        if (n.scheme === 'ct') expectClose([n.clip[0], n.clip[1], n.mean, n.sd], [r.ref.channels[0]!.p00_5, r.ref.channels[0]!.p99_5, r.ref.channels[0]!.mean, r.ref.channels[0]!.sd], { atol: 1e-4, rtol: 1e-6 });
      } else {
        expect(n).toEqual({ channel: 0, name: 'T2', scheme: 'z-score', useMask: r.ref.useMask });
        expect(r.ref.useMask).toBe(true);
      }
    }),
  );

  it(
    'preprocessing (crop → normalise → resample) agrees with scipy: boxes, intensities, labels without new values',
    setup(() => {
      r.prepared.forEach((p: PreparedCase, i) => {
        const q = r.ref.prepared[i]!;
        const box = r.ref.cases[i]!.box;
        expect(p.box).toEqual({ start: box[0], end: box[1] });
        expect(p.image.shape).toEqual(q.shape);
        expectClose(spacingMm(p.image), r.plan.targetSpacingMm, { atol: 1e-9, rtol: 1e-9 });
        expect(p.separateAxis).toBe(q.separateAxis);
        expectClose(p.image.data, q.image, { atol: 2e-3, rtol: 1e-4 });
        let ties = 0;
        for (let v = 0; v < q.labels.length; v++) {
          if (q.margin[v]! > 1e-9) {
            if (p.label!.data[v] !== q.labels[v]) throw new Error(`case ${p.id} voxel ${v}: ${p.label!.data[v]} vs scipy ${q.labels[v]}`);
          } else ties++;
        }
        expect(ties).toBeLessThan(0.02 * q.labels.length);
        const before = new Set(Object.keys(r.fp.cases[i]!.classVoxels).map(Number));
        for (const v of new Set(p.label!.data)) expect(before.has(v)).toBe(true);
      });
    }),
  );

  it(
    'structure volumes in mm³ survive resampling within 20% (30% when 4–6 thick slices are re-sliced by nearest neighbour; classes ≥ 40 voxels) and no class is lost',
    setup(() => {
      r.prepared.forEach((p, i) => {
        expect(p.lostClasses).toEqual([]);
        const fc = r.fp.cases[i]!;
        const vIn = fc.spacingMm.reduce((a, b) => a * b, 1);
        const vOut = r.plan.targetSpacingMm.reduce((a, b) => a * b, 1);
        const counts = new Map<number, number>();
        for (const v of p.label!.data) counts.set(v, (counts.get(v) ?? 0) + 1);
        for (const [k, n] of Object.entries(fc.classVoxels)) {
          if (k === '0' || n < 40) continue;
          const rel = Math.abs((counts.get(Number(k)) ?? 0) * vOut - n * vIn) / (n * vIn);
          expect(rel, `case ${p.id} class ${k}`).toBeLessThan(d.modality === 'mri' ? 0.3 : 0.2);
        }
      });
    }),
  );

  it(
    'the plan round-trips through JSON and parsePlan, and explains every decision',
    setup(() => {
      const back = parsePlan(JSON.parse(JSON.stringify(r.plan)), 'plan.json');
      expect(back).toEqual(JSON.parse(JSON.stringify(r.plan)));
      const lines = r.plan.decisions;
      for (const topic of ['crop to the non-zero region', 'target spacing', 'resampling:', "channel 0 '", 'median case shape', 'patch [', 'batch size', 'memory:']) {
        expect(lines.some((l) => l.startsWith(topic)), topic).toBe(true);
      }
      expect(r.plan.patchSize.every((p: number) => p % r.plan.network.divisor === 0)).toBe(true);
      expect(r.plan.batchSize).toBeGreaterThanOrEqual(2);
    }),
  );
});

describe('targetSpacing', () => {
  it.each([
    ['isotropic', [[1, 1, 1], [1.2, 1.2, 1.2], [0.8, 0.8, 0.8]], [[100, 100, 100]], [1, 1, 1]],
    ['anisotropic spacing, but not in voxels: median kept', [[0.7, 0.7, 5], [0.7, 0.7, 3]], [[40, 40, 30]], [0.7, 0.7, 4]],
    ['anisotropic in spacing and voxels: 10th percentile', [[0.7, 0.7, 5], [0.7, 0.7, 3], [0.7, 0.7, 6]], [[128, 128, 20]], [0.7, 0.7, 3.4]],
  ] as const)('%s', (_n, spacings, sizes, expected) => {
    expectClose(targetSpacing(spacings, sizes).spacingMm, expected, { atol: 1e-9, rtol: 1e-9 });
  });
});

describe('planDataset on a given fingerprint', () => {
  const fp = (shapes: Vec3[], spacing: Vec3): DatasetFingerprint => ({
    format: 'voxnas-fingerprint@1',
    dataset: { name: 't', layout: 'msd', modalities: ['MR'], labels: { 0: 'background', 1: 'a' } },
    cases: shapes.map((s, i) => ({ id: `c${i}`, shape: s, spacingMm: spacing, orientation: 'RAS', nonZeroBox: { start: [0, 0, 0], end: s }, nonZeroShape: s, classVoxels: { 0: 1, 1: 1 } })),
    channels: [{ name: 'MR', voxels: 10, mean: 0, sd: 1, min: 0, max: 1, p00_5: 0, p99_5: 1, sampled: 10 }],
    classes: [
      { value: 0, name: 'background', voxels: 1, fraction: 0.5, cases: 2, smallestStructure: null },
      { value: 1, name: 'a', voxels: 1, fraction: 0.5, cases: 2, smallestStructure: { voxels: 1, mm3: 1, caseId: 'c0' } },
    ],
  });

  it('a case smaller than the patch is named with the stated adaptation (zero padding)', () => {
    const plan: DatasetPlan = planDataset(fp([[64, 64, 64], [64, 64, 64], [20, 64, 64]], [1, 1, 1]), { network: { levels: 3 } });
    expect(plan.patchSize).toEqual([64, 64, 64]);
    expect(plan.adaptations).toEqual([{ caseId: 'c2', problem: 'smaller than the patch along x (20 < 64) after preprocessing: its patches are zero-padded' }]);
  });

  it('a memory model shrinks the patch along the axis largest relative to the median shape, and sets the batch size', () => {
    const memory = { estimateBytes: (p: Vec3, b: number) => b * p[0] * p[1] * p[2] * 100, budgetBytes: 2 * 100 * 48 * 48 * 32, rule: 'test: 100 B/voxel' };
    const plan = planDataset(fp([[96, 96, 40], [96, 96, 40]], [1, 1, 1]), { network: { levels: 4 }, memory });
    expect(plan.patchSize.every((p) => p % 8 === 0)).toBe(true);
    expect(memory.estimateBytes(plan.patchSize, plan.batchSize)).toBeLessThanOrEqual(memory.budgetBytes);
    expect(plan.batchSize).toBe(2);
    expect(plan.memory.rule).toBe('test: 100 B/voxel');
  });

  it('rejects a normalisation list of the wrong length, and parsePlan lists every bad field', () => {
    expect(() => planDataset(fp([[8, 8, 8]], [1, 1, 1]), { network: { levels: 2 }, normalization: ['ct', 'none'] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: planDataset: normalization has 2 entries, expected one per channel (MR)]`,
    );
    const good = JSON.parse(JSON.stringify(planDataset(fp([[8, 8, 8]], [1, 1, 1]), { network: { levels: 2 } })));
    expect(() => parsePlan({ ...good, patchSize: [8, 0, 8], normalization: [{ channel: 0, scheme: 'ct', clip: [3, 1], mean: 0, sd: 0 }] }, 'runs/x/plan.json')).toThrowErrorMatchingInlineSnapshot(`
      [PlanError: runs/x/plan.json: not a valid voxnas plan (3 problem(s))
        - 'patchSize' is [8,0,8], expected 3 positive integers
        - 'normalization[0].clip' is [3,1], expected [lo, hi] with lo ≤ hi
        - 'normalization[0].sd' is 0, expected a number > 0]
    `);
  });
});
