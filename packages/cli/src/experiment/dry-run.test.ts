import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { parse, stringify } from 'yaml';
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
      expect(d.byStage).toEqual({ search: 20, 'search-quality': 0, train: 345, evaluate: 345, aggregate: 1 });
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

      // With a search-quality study after each search: 20 more jobs, each (4 + 1) × 100 child steps
      // at its search's patch, scaled like the searches.
      const withQuality = join(dir, 'quality.yaml');
      const msd = parse(readFileSync(spec, 'utf8')) as { config: string; tasks: Array<{ dataset: string }> };
      const here = (p: string) => resolve(dirname(spec), p);
      await writeFile(
        withQuality,
        stringify({ ...msd, config: here(msd.config), tasks: msd.tasks.map((t) => ({ ...t, dataset: here(t.dataset) })), searchQuality: { samples: 4, steps: 100 } }),
      );
      const q = await runCli(['experiment', 'run', withQuality, '--out', out, '--dry-run', '--step-time', 'search=2,unet=0.5,child=0.6', '--json']);
      expect(q.code, q.err).toBe(0);
      const dq = JSON.parse(q.out) as DryRunSummary;
      expect([dq.jobs, dq.byStage['search-quality']]).toEqual([731, 20]);
      expect(dq.deviceHours.searchQuality).toBeCloseTo((hours / (8000 * 2)) * 5 * 100 * 0.6, 9);
      expect(dq.deviceHours.total).toBeCloseTo(dq.deviceHours.search + dq.deviceHours.searchQuality + dq.deviceHours.train, 9);
    });
  }, 600_000);
});
