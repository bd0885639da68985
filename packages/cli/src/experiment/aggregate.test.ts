import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Rng } from '@voxnas/core';
import { runPythonReference, withTempDir } from '@voxnas/testing';
import { aggregateExperiment } from './aggregate.js';
import { writeJobStatus } from './job-files.js';
import { planExperiment, writePlan } from './plan.js';
import { writeExperimentReport } from './report-format.js';
import { experimentStatus, formatStatus } from './status.js';

// The study's statistics against scipy: a real plan (phantom tasks, 3 folds, 2 seeds, searched / U-Net /
// 2 random genotypes) whose evaluations are given known per-case Dice values (the metrics.json files
// evaluations write), aggregated, and recomputed independently with numpy and scipy.stats.wilcoxon.

const CLASSES = ['ellipsoid', 'box', 'tube'];

describe('aggregateExperiment', () => {
  it('per-arm Dice, paired Wilcoxon tests with Holm correction and the rank among random genotypes equal numpy/scipy', async () => {
    await withTempDir(async (dir) => {
      const specFile = join(dir, 'study.yaml');
      await writeFile(
        specFile,
        stringify({
          name: 'aggregation test',
          seed: 1,
          seeds: [0, 1],
          folds: 3,
          config: { data: { patchSize: [8, 8, 8], batchSize: 1 }, search: { levels: 2, baseChannels: 2, nodes: 1, warmupSteps: 1 }, train: { warmupSteps: 1 } },
          budget: { searchSteps: 2, trainSteps: 2 },
          tasks: [
            { name: 'a', dataset: 'phantom', phantom: { cases: 7, shape: [8, 8, 8], modalities: 1 } },
            { name: 'b', dataset: 'phantom', phantom: { cases: 6, shape: [8, 8, 8], modalities: 1 } },
          ],
          search: { repeat: 'once' },
          arms: [
            { kind: 'searched', name: 'searched' },
            { kind: 'unet', name: 'unet', size: 'preset' },
            { kind: 'random', name: 'random', count: 2 },
          ],
          report: { resamples: 500 },
        }),
      );
      const plan = await planExperiment({ spec: specFile, out: join(dir, 'exp') });
      await writePlan(plan, { force: false });
      const rng = new Rng(99);
      const level: Record<string, number> = { searched: 0.8, unet: 0.7, 'random-0': 0.6, 'random-1': 0.75 };
      // run key → case → class → dice
      const given: Array<{ task: string; arm: string; genotype: number | null; seed: number; fold: number; cases: Record<string, number[]> }> = [];
      for (const job of plan.graph.jobs) {
        const status = { schema: 'voxnas/experiment-job-status@1' as const, id: job.id, hash: job.hash, state: 'done' as const, exitCode: 0, error: null, backend: 'voxnas backend: cpu (test)', deviceSeconds: 36, attempts: [] };
        if (job.kind === 'evaluate') {
          const m = job.meta;
          const armDir = m.genotype === undefined ? m.arm! : `${m.arm}-${m.genotype}`;
          const cases: Record<string, number[]> = {};
          const metrics = {
            cases: m.test!.map((caseId) => {
              cases[caseId] = CLASSES.map(() => Math.min(1, Math.max(0, level[armDir]! + 0.15 * (rng.float() - 0.5))));
              return { caseId, result: { classes: CLASSES.map((name, k) => ({ name, metrics: { dice: cases[caseId]![k]!, hd95: 1 + rng.float() } })) } };
            }),
            summary: {},
          };
          given.push({ task: m.task!, arm: m.arm!, genotype: m.genotype ?? null, seed: m.seed!, fold: m.fold!, cases });
          await writeFile(join(job.dir, 'metrics.json'), JSON.stringify(metrics));
        }
        if (job.kind !== 'aggregate') await writeJobStatus(job.dir, status);
      }

      const status = await experimentStatus(plan.expDir);
      expect(status.byStage).toEqual({ search: { done: 6 }, train: { done: 48 }, evaluate: { done: 48 }, aggregate: { pending: 1 } });
      expect(formatStatus(status).split('\n').slice(0, 2)).toEqual([`experiment 'aggregation test' (${plan.expDir}): 103 jobs`, '  search     6 done']);

      const r = await aggregateExperiment(plan.expDir);
      const ref = runPythonReference<{
        arms: Record<string, Record<string, { mean: number; sd: number }>>;
        comparisons: Record<string, { diff: number; p: number; holm: number; n: number }>;
        ranks: Record<string, number>;
      }>(
        `
import json, sys
import numpy as np
from scipy import stats
d = json.load(sys.stdin)
classes = d['classes']
runs = d['runs']
arms = {}
for task in ['a', 'b']:
    for arm in ['searched', 'unet', 'random']:
        rs = [r for r in runs if r['task'] == task and r['arm'] == arm]
        out = {}
        for k, cls in enumerate(classes + ['mean']):
            vals = [np.mean([np.mean(v) if cls == 'mean' else v[k] for v in r['cases'].values()]) for r in rs]
            out[cls] = {'mean': float(np.mean(vals)), 'sd': float(np.std(vals, ddof=1))}
        arms[task + '/' + arm] = out
def per_case(task, arm, k):
    rs = [r for r in runs if r['task'] == task and r['arm'] == arm]
    ids = sorted({c for r in rs for c in r['cases']})
    return {c: np.mean([np.mean(r['cases'][c]) if k is None else r['cases'][c][k] for r in rs if c in r['cases']]) for c in ids}
comparisons, families = {}, {}
for task in ['a', 'b']:
    for b in ['unet', 'random']:
        for k, cls in enumerate(classes + ['mean']):
            kk = None if cls == 'mean' else k
            A, B = per_case(task, 'searched', kk), per_case(task, b, kk)
            diff = np.array([A[c] - B[c] for c in A])
            p = float(stats.wilcoxon(diff).pvalue)
            key = f'{task}/{b}/{cls}'
            comparisons[key] = {'diff': float(diff.mean()), 'p': p, 'n': len(diff)}
            families.setdefault((b, cls == 'mean'), []).append(key)
for keys in families.values():
    ps = [comparisons[k]['p'] for k in keys]
    order = np.argsort(ps, kind='stable')
    m, run = len(ps), 0.0
    for i, idx in enumerate(order):
        run = max(run, min(1.0, (m - i) * ps[idx]))
        comparisons[keys[idx]]['holm'] = run
ranks = {}
for task in ['a', 'b']:
    def arm_mean(arm, g=None):
        rs = [r for r in runs if r['task'] == task and r['arm'] == arm and (g is None or r['genotype'] == g)]
        return np.mean([np.mean([np.mean(v) for v in r['cases'].values()]) for r in rs])
    s = arm_mean('searched')
    ranks[task] = 1 + sum(1 for g in [0, 1] if arm_mean('random', g) > s)
print(json.dumps({'arms': arms, 'comparisons': comparisons, 'ranks': ranks}))
`,
        { classes: CLASSES, runs: given },
      );

      for (const t of r.tasks) {
        expect(t.classes).toEqual(CLASSES);
        for (const a of t.arms) {
          expect(a.runsDone).toBe(a.kind === 'random' ? 12 : 6);
          for (const cls of [...CLASSES, 'mean']) {
            const want = ref.arms[`${t.task}/${a.arm}`]![cls]!;
            expect(a.dice[cls]!.mean).toBeCloseTo(want.mean, 12);
            expect(a.dice[cls]!.sd).toBeCloseTo(want.sd, 12);
            // the bootstrap interval of the mean over cases brackets the mean over cases
            expect(a.dice[cls]!.ci!.lower).toBeLessThan(a.dice[cls]!.ci!.upper);
            expect(a.dice[cls]!.cases).toBe(t.cases);
          }
          expect(a.trainHours).toBeCloseTo((a.runsDone * 36) / 3600, 12);
          expect(a.searchHours).toBeCloseTo(a.kind === 'searched' ? (3 * 36) / 3600 : 0, 12);
          expect(a.backends).toEqual(['cpu (test)']);
        }
      }
      expect(r.comparisons.length).toBe(2 * 2 * 4);
      for (const c of r.comparisons) {
        const want = ref.comparisons[`${c.task}/${c.b}/${c.class}`]!;
        expect(c.a).toBe('searched');
        expect(c.meanDifference).toBeCloseTo(want.diff, 12);
        expect(c.n).toBe(want.n);
        expect(Math.abs(c.pvalue - want.p)).toBeLessThanOrEqual(1e-9 * want.p + 1e-12);
        expect(Math.abs(c.pHolm - want.holm)).toBeLessThanOrEqual(1e-9 * want.holm + 1e-12);
      }
      for (const k of r.ranks) expect(k.rank).toBe(ref.ranks[k.task]);
      expect(r.missing).toEqual([]);

      // The report files: the Markdown table has a row per arm; the CSVs parse back.
      const files = await writeExperimentReport({ expDir: plan.expDir });
      expect(files.markdown).toContain('| searched | ');
      expect(files.markdown).toContain('## Paired comparisons');
      expect(files.markdown).toContain('## Rank among the random genotypes');
      const html = readFileSync(join(plan.expDir, 'report', 'report.html'), 'utf8');
      expect(html.match(/<svg /g)!.length).toBe(2);
      expect(html).not.toMatch(/<script|src="http|href="http/);
      const perCase = readFileSync(join(plan.expDir, 'report', 'per-case.csv'), 'utf8').trim().split('\n');
      expect(perCase.length).toBe(1 + given.reduce((n, g) => n + Object.keys(g.cases).length * CLASSES.length, 0));
    });
  });
});
