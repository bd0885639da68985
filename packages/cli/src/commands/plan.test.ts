import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { generatePhantomDataset, parsePlan } from '@voxnas/datasets';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { createVolume } from '@voxnas/volume';
import { runCli } from '../../test/run-cli.js';

describe('voxnas plan <dataset>', () => {
  it('writes plan.json (fingerprint, target spacing, normalisation, patch and batch) and prints one line per decision', async () => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir: join(dir, 'ds'), cases: 3, shape: [20, 18, 8], spacingMm: [0.7, 0.7, 5], seed: 2 });
      const out = join(dir, 'plan.json');
      const r = await runCli(['plan', data, '--out', out, '--set', 'search.levels=2']);
      expect(r.code, r.err).toBe(0);
      const plan = parsePlan(JSON.parse(await readFile(out, 'utf8')), out);
      expect(plan.fingerprint.cases.map((c) => c.spacingMm)).toEqual([[0.7, 0.7, 5], [0.7, 0.7, 5], [0.7, 0.7, 5]]);
      expect(plan.targetSpacingMm).toEqual([0.7, 0.7, 5]);
      expect(plan.normalization.map((n) => n.scheme)).toEqual(['z-score', 'z-score']);
      expect(plan.patchSize.every((p) => p % 2 === 0)).toBe(true);
      const lines = r.out.split('\n');
      expect(lines.at(-1)).toBe(`plan written: ${out}`);
      expect(lines.slice(0, -1).every((l) => l.startsWith('- '))).toBe(true);
      expect(lines.length - 1).toBe(plan.decisions.length);
      expect(r.out).toContain('target spacing [0.7, 0.7, 5] mm: median of 3 case spacing(s) per axis');
    });
  });

  it('a case smaller than a given patch is named with its adaptation; a label value outside dataset.json is a DatasetError naming the case', async () => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir: join(dir, 'ds'), cases: 2, shape: [16, 16, 8], seed: 3 });
      const r = await runCli(['plan', data, '--out', join(dir, 'p.json'), '--set', 'data.patchSize=[16,16,16]', '--set', 'search.levels=2']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('2 case(s) smaller than the patch: zero-padded (see adaptations)');
      const plan = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8'));
      expect(plan.adaptations).toEqual([
        { caseId: 'phantom_000', problem: 'smaller than the patch along z (8 < 16) after preprocessing: its patches are zero-padded' },
        { caseId: 'phantom_001', problem: 'smaller than the patch along z (8 < 16) after preprocessing: its patches are zero-padded' },
      ]);
      const path = join(data, 'labelsTr', 'phantom_001.nii.gz');
      const lab = await readNifti(path);
      await writeNifti(createVolume({ ...lab, data: Uint8Array.from(lab.data, (v, i) => (i === 5 ? 9 : v)) }), path);
      const bad = await runCli(['plan', data, '--out', join(dir, 'q.json')]);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('phantom_001: label values [9] are not declared (declared: 0, 1, 2, 3)');
    });
  });
});
