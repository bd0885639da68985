import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { writeNifti } from '@voxnas/volume/node';
import { GeometryError, createVolume } from '@voxnas/volume';
import { ConfigError } from '../errors.js';
import { main } from '../main.js';
import { compareRuns, runEvaluate } from './evaluate.js';

const SHAPE = [5, 6, 7] as const;
const AFFINE = [2, 0, 0, -4, 0, 1.5, 0, 3, 0, 0, 3, 9, 0, 0, 0, 1];

/** A label map with `label` at the listed voxels [i, j, k]. */
function labels(entries: ReadonlyArray<readonly [number, ReadonlyArray<readonly [number, number, number]>]>, affine = AFFINE) {
  const data = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (const [label, voxels] of entries) for (const [i, j, k] of voxels) data[i + SHAPE[0] * (j + SHAPE[1] * k)] = label;
  return createVolume({ data, shape: SHAPE, affine, kind: 'label' });
}

/** The 2×2×2 block at (1..2, 1..2, 1..2), in a fixed order. */
const BLOCK: Array<[number, number, number]> = [];
for (let k = 1; k <= 2; k++) for (let j = 1; j <= 2; j++) for (let i = 1; i <= 2; i++) BLOCK.push([i, j, k]);

async function writeCase(dir: string, name: string, v: ReturnType<typeof labels>) {
  await mkdir(dir, { recursive: true });
  await writeNifti(v, join(dir, name));
}

describe('voxnas evaluate --pred --ref', () => {
  it('matches files by case name and gives the exact Dice of hand-made label maps', async () => {
    await withTempDir(async (dir) => {
      const pred = join(dir, 'pred');
      // References in a dataset's label folder: class names come from its dataset.json (nnU-Net v2 style).
      const ref = join(dir, 'ds', 'labelsTr');
      await mkdir(ref, { recursive: true });
      await writeFile(join(dir, 'ds', 'dataset.json'), JSON.stringify({ labels: { background: 0, liver: 1, tumour: 2 } }));
      // c1: label 1 — reference 8 voxels, prediction 6 of which 4 overlap → Dice 2·4/(8+6) = 4/7;
      //     label 2 — identical 3 voxels → Dice 1.
      const l2: Array<[number, number, number]> = [[4, 5, 6], [4, 5, 5], [4, 4, 6]];
      await writeCase(ref, 'c1.nii.gz', labels([[1, BLOCK], [2, l2]]));
      await writeCase(pred, 'c1.nii.gz', labels([[1, [...BLOCK.slice(0, 4), [0, 0, 0], [0, 0, 1]]], [2, l2]]));
      // c2 (uncompressed prediction): label 1 identical → 1; label 2 — reference 4, prediction 2 inside → 2·2/6 = 2/3.
      await writeCase(ref, 'c2.nii.gz', labels([[1, BLOCK], [2, [...l2, [3, 5, 6]]]]));
      await writeCase(pred, 'c2.nii', labels([[1, BLOCK], [2, l2.slice(0, 2)]]));
      const out = join(dir, 'out');
      const m = await runEvaluate({ pred, ref, out, labels: '1,2' });
      const dice = m.cases.map((c) => [c.caseId, c.result.classes.map((k) => [k.name, k.metrics.dice])]);
      expect(dice).toEqual([
        ['c1', [['liver', 4 / 7], ['tumour', 1]]],
        ['c2', [['liver', 1], ['tumour', 2 / 3]]],
      ]);
      expect(m.summary.classes.map((c) => c.metrics.dice.mean)).toEqual([(4 / 7 + 1) / 2, (1 + 2 / 3) / 2]);
      const written = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
      expect(written.summary.foregroundMean.dice).toBeCloseTo(((4 / 7 + 1) / 2 + (1 + 2 / 3) / 2) / 2, 12);
      expect((await readFile(join(out, 'metrics.csv'), 'utf8')).split('\n')[0]).toContain('dice');
    });
  });

  it('names unmatched files (ConfigError)', async () => {
    await withTempDir(async (dir) => {
      await writeCase(join(dir, 'p'), 'a.nii.gz', labels([[1, BLOCK]]));
      await writeCase(join(dir, 'p'), 'b.nii.gz', labels([[1, BLOCK]]));
      await writeCase(join(dir, 'r'), 'a.nii.gz', labels([[1, BLOCK]]));
      await writeCase(join(dir, 'r'), 'z.nii.gz', labels([[1, BLOCK]]));
      const err = await runEvaluate({ pred: join(dir, 'p'), ref: join(dir, 'r') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas evaluate: files are matched by case name; no reference in <tmp>/r for b.nii.gz; no prediction in <tmp>/p for z.nii.gz"`,
      );
    });
  });

  it('names the pair on a grid mismatch (GeometryError)', async () => {
    await withTempDir(async (dir) => {
      const shifted = AFFINE.slice();
      shifted[3] = -3;
      await writeCase(join(dir, 'p'), 'a.nii.gz', labels([[1, BLOCK]], shifted));
      await writeCase(join(dir, 'r'), 'a.nii.gz', labels([[1, BLOCK]]));
      const err = await runEvaluate({ pred: join(dir, 'p'), ref: join(dir, 'r') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GeometryError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas evaluate: prediction <tmp>/p/a.nii.gz vs reference <tmp>/r/a.nii.gz: affine[0][3] is -3, expected the input's -4 (±0.001 mm)"`,
      );
    });
  });

  it('rejects a bad --labels list (exit 2)', async () => {
    const err: string[] = [];
    expect(await main(['evaluate', '--pred', '.', '--ref', '.', '--labels', '1,x'], { out: () => {}, err: (t) => err.push(t) })).toBe(2);
    expect(err[0]).toContain("voxnas evaluate --labels '1,x': 'x' is not a label value (expected e.g. 1,2,3)");
  });
});

describe('voxnas evaluate --compare', () => {
  // Five cases; run A predicts the 8-voxel block exactly (Dice 1), run B misses k = 1…5 voxels of it
  // (Dice 2(8 − k)/(16 − k)). Every difference A − B is positive and distinct, so the exact two-sided
  // Wilcoxon p-value is 2 / 2⁵ = 0.0625.
  const diceB = [1, 2, 3, 4, 5].map((k) => (2 * (8 - k)) / (16 - k));

  async function makeRuns(dir: string, casesB = 5): Promise<[string, string]> {
    const ref = join(dir, 'ref');
    for (let c = 0; c < 5; c++) {
      await writeCase(ref, `case${c}.nii.gz`, labels([[1, BLOCK]]));
      await writeCase(join(dir, 'predA'), `case${c}.nii.gz`, labels([[1, BLOCK]]));
      if (c < casesB) await writeCase(join(dir, 'predB'), `case${c}.nii.gz`, labels([[1, BLOCK.slice(c + 1)]]));
    }
    if (casesB < 5) await writeCase(join(dir, 'predB'), 'other.nii.gz', labels([[1, BLOCK]]));
    await runEvaluate({ pred: join(dir, 'predA'), ref, out: join(dir, 'runA'), labels: '1' });
    const refB = casesB < 5 ? join(dir, 'refB') : ref;
    if (casesB < 5) {
      for (let c = 0; c < casesB; c++) await writeCase(refB, `case${c}.nii.gz`, labels([[1, BLOCK]]));
      await writeCase(refB, 'other.nii.gz', labels([[1, BLOCK]]));
    }
    await runEvaluate({ pred: join(dir, 'predB'), ref: refB, out: join(dir, 'runB'), labels: '1' });
    return [join(dir, 'runA'), join(dir, 'runB')];
  }

  it('paired Dice difference, Wilcoxon p and bootstrap CI per class; written as compare.json', async () => {
    await withTempDir(async (dir) => {
      const runs = await makeRuns(dir);
      const out: string[] = [];
      expect(await main(['evaluate', '--compare', ...runs, '--out', join(dir, 'cmp')], { out: (t) => out.push(t), err: () => {} })).toBe(0);
      const c = JSON.parse(await readFile(join(dir, 'cmp', 'compare.json'), 'utf8'));
      expect(c.cases).toEqual(['case0', 'case1', 'case2', 'case3', 'case4']);
      expect(c.classes).toHaveLength(1);
      const k = c.classes[0];
      const diffs = diceB.map((d) => 1 - d);
      expect(k.name).toBe('1');
      expect(k.meanA).toBe(1);
      expect(k.meanB).toBeCloseTo(diceB.reduce((a, b) => a + b) / 5, 14);
      expect(k.meanDifference).toBeCloseTo(diffs.reduce((a, b) => a + b) / 5, 14);
      expect(k.pvalue).toBeCloseTo(0.0625, 12);
      expect(k.n).toBe(5);
      expect(k.ci.confidence).toBe(0.95);
      expect(k.ci.lower).toBeGreaterThanOrEqual(Math.min(...diffs) - 1e-12);
      expect(k.ci.upper).toBeLessThanOrEqual(Math.max(...diffs) + 1e-12);
      expect(k.ci.lower).toBeLessThan(k.meanDifference);
      expect(k.ci.upper).toBeGreaterThan(k.meanDifference);
      // Seeded: the same comparison gives the same interval.
      const again = await compareRuns({ runs });
      expect(again.classes[0]!.ci).toEqual(k.ci);
      expect(out[0]).toMatch(/class +Dice A +Dice B +A − B +95% CI +Wilcoxon p +n/);
      expect(out[0]).toMatch(/\+0\.2456 +\[[0-9.]+, [0-9.]+\] +0\.063 +5/);
    });
  });

  it('requires the same cases in both runs (ConfigError naming them)', async () => {
    await withTempDir(async (dir) => {
      const runs = await makeRuns(dir, 4);
      const err = await compareRuns({ runs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas evaluate --compare: the runs must score the same cases; only <tmp>/runA has case4; only <tmp>/runB has other"`,
      );
    });
  });
});
