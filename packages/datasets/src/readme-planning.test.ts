import { withTempDir } from '@voxnas/testing';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFingerprint, generatePhantomDataset, openDataset, planDataset, preprocessCase, type LoadedCase } from '@voxnas/datasets';

describe('README planning example', () => {
  it('runs as written', async () => {
    await withTempDir(async (dir) => {
      const root = await generatePhantomDataset({ dir: join(dir, 'data/aniso'), cases: 3, shape: [24, 20, 8], spacingMm: [0.7, 0.7, 5], seed: 1 });
      const ds = await openDataset(root, { validate: 'files' });
      const acc = createFingerprint(ds);
      const cases: LoadedCase[] = [];
      for (const id of ds.caseIds) {
        const c = await ds.loadCase(id);
        acc.add(c);
        cases.push(c);
      }
      const plan = planDataset(acc.finish(), { network: { levels: 2 } });
      expect(plan.targetSpacingMm).toEqual([0.7, 0.7, 5]);
      expect(plan.decisions.length).toBeGreaterThan(5);
      const prepared = preprocessCase(cases[0]!, plan);
      expect(prepared.box).toEqual({ start: [0, 0, 0], end: [24, 20, 8] });
      expect(prepared.lostClasses).toEqual([]);
      expect(prepared.image.shape).toEqual([24, 20, 8]);
    });
  });
});
