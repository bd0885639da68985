import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { runCli } from '../../test/run-cli.js';
import type { DryRunSummary } from './dry-run.js';

const spec = resolve(__dirname, '..', '..', '..', '..', 'examples', 'benchmark', 'msd.experiment.yaml');

describe('voxnas experiment run --dry-run', () => {
  it('on the paper-style MSD spec, without the data: the graph size and device-hours from measured step times', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'msd');
      const r = await runCli(['experiment', 'run', spec, '--out', out, '--dry-run', '--json']);
      expect(r.code, r.err).toBe(0);
      const d = JSON.parse(r.out) as DryRunSummary;
      expect(d.jobs).toBe(711);
      expect(d.byStage).toEqual({ search: 20, train: 345, evaluate: 345, aggregate: 1 });
      expect(d.byTask.map((t) => [t.task, t.channels, t.classes, t.described])).toEqual([
        ['brain tumour', 4, 4, 'spec'],
        ['heart', 1, 2, 'spec'],
        ['prostate', 2, 3, 'spec'],
        ['hippocampus', 1, 3, 'spec'],
      ]);
      // one measurement per network kind (one search space), at the largest patch (160×160×32 × 2), measured smaller
      expect(d.stepTimes.map((t) => t.kind).sort()).toEqual(['child', 'search', 'unet']);
      for (const t of d.stepTimes) {
        expect(t.seconds).toBeGreaterThan(0);
        expect(t.how).toMatch(/^measured at \d+×\d+×\d+ × 1, scaled ×\d+(\.\d+)? by voxels and batch$/);
        expect(t.config).toBe('patch 160×160×32 × batch 2, 4 levels, 16 base channels');
      }
      expect(d.deviceHours.total).toBeCloseTo(d.deviceHours.search + d.deviceHours.train, 9);
      expect(d.deviceHours.search).toBeGreaterThan(0);
      expect(d.backend).toMatch(/^cpu/);
      expect(existsSync(out)).toBe(false);
      // the text form
      const text = await runCli(['experiment', 'run', spec, '--out', out, '--dry-run', '--step-time', 'search=2,unet=0.5,child=0.6']);
      expect(text.code).toBe(0);
      expect(text.out.split('\n')[1]).toBe('job graph: 711 jobs = 20 searches + 345 trainings + 345 evaluations + 1 report');
      // 20 searches × 8000 steps: 2 s per step of the largest patch (prostate's), the others scaled by voxels
      const hours = (8000 * 2 * ((10 * 96 * 96 * 64 + 5 * 160 * 160 * 32 + 5 * 32 * 48 * 32) / (160 * 160 * 32))) / 3600;
      expect(text.out).toContain(`estimate: `);
      expect(text.out).toContain(`= searches ${hours.toFixed(1)} + trainings`);
    });
  }, 600_000);
});
