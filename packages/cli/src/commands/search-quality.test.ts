import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { tinySettings } from '../../test/tiny-settings.js';

const TINY = tinySettings('search.steps=3', 'search.warmupSteps=1', 'search.deriveEvery=3', 'train.steps=2', 'train.warmupSteps=1', 'train.validateEvery=2');

describe('voxnas search-quality', () => {
  it('scores the derived and random architectures by supernet and stand-alone, correlates them, and resumes', async () => {
    await withTempDir(async (tmp) => {
      const search = join(tmp, 'search');
      expect((await runCli(['search', '--out', search, '--quiet', ...TINY])).code).toBe(0);
      const out = join(tmp, 'quality');
      const first = await runCli(['search-quality', '--run', search, '--out', out, '--samples', '2', '--threads', '3', '--json']);
      expect(first.code, first.err).toBe(0);
      // --threads reaches the native kernels (the backend line names their thread count when they load).
      const backend = first.err.split('\n').find((l) => l.startsWith('voxnas backend:'));
      expect(backend).toBeDefined();
      if (backend!.includes('@voxnas/kernels native')) expect(backend).toContain('native (3 threads,');
      const r = JSON.parse(first.out);
      expect(r.count).toBe(3);
      expect(r.architectures.map((a: { id: string }) => a.id)).toEqual(['derived', 'random-0', 'random-1']);
      expect(r.standaloneSteps).toBe(2);
      // The derived architecture is the search's genotype.json; each stand-alone run is an ordinary train run.
      expect(r.architectures[0].genotype.choices).toEqual(JSON.parse(readFileSync(join(search, 'genotype.json'), 'utf8')).choices);
      for (const id of ['derived', 'random-0', 'random-1']) {
        const t = JSON.parse(readFileSync(join(out, 'standalone', id, 'train.json'), 'utf8'));
        expect(r.architectures.find((a: { id: string }) => a.id === id).standalone).toBe(t.meanDice);
      }
      for (const a of r.architectures) {
        expect(a.proxy).toBeGreaterThanOrEqual(0);
        expect(a.proxy).toBeLessThanOrEqual(1);
      }
      expect(JSON.parse(readFileSync(join(out, 'search-quality.json'), 'utf8'))).toEqual(r);
      // Re-running reuses the finished stand-alone runs and gives the same report.
      const again = await runCli(['search-quality', '--run', search, '--out', out, '--samples', '2', '--json', '--quiet']);
      expect(JSON.parse(again.out)).toEqual(r);
    });
  }, 600_000);

  it('refuses a directory that is not a finished search run, and a bad --threads before reading anything', async () => {
    await withTempDir(async (tmp) => {
      for (const bad of ['0', 'two', '1.5']) {
        const t = await runCli(['search-quality', '--run', tmp, '--out', join(tmp, 'q'), '--threads', bad]);
        expect([t.code, t.err.split('\n')[0]]).toEqual([2, `voxnas search-quality: --threads is '${bad}', expected a positive integer`]);
      }
      const r = await runCli(['search-quality', '--run', tmp, '--out', join(tmp, 'q')]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`voxnas search-quality --run ${tmp}: no genotype.json there (not a finished search run)`);
      expect(existsSync(join(tmp, 'q'))).toBe(false);
    });
  });
});
