import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng } from '@voxnas/core';
import { bootstrapCi, compareMethods, holmAdjust } from '@voxnas/metrics';
import { ExperimentStateError } from './errors.js';
import { readJobFile, readJobStatus, type JobFile, type JobStatus } from './job-files.js';
import { JOB_FILES, layout } from './layout.js';
import { networkCost } from './network-cost.js';
import { foldsRun } from './spec.js';
import type { NetworkSpec } from '../pipeline/network.js';

// Reads every finished evaluation of an experiment and computes the study's statistics. Pure data in,
// pure data out: report-format.ts renders it.

/** mean ± sd over runs (folds × seeds [× genotypes]) and the bootstrap CI of the mean over cases. */
export interface Stat {
  readonly mean: number;
  readonly sd: number;
  /** Runs with a value. */
  readonly runs: number;
  /** 95% (spec `report.confidence`) bootstrap interval of the mean over cases (each case averaged over seeds); null with < 2 cases. */
  readonly ci: { readonly lower: number; readonly upper: number } | null;
  /** Cases with a value. */
  readonly cases: number;
}

/** One arm on one task. */
export interface ArmResult {
  readonly arm: string;
  readonly kind: string;
  /** Searched and transfer arms: the task the genotype was searched on. */
  readonly searchedOn: string | null;
  /** A genotype searched on another task (the paper's transfer rows). */
  readonly transfer: boolean;
  readonly runsDone: number;
  readonly runsPlanned: number;
  /** Dice per class name, and `mean` (foreground mean per case). */
  readonly dice: Readonly<Record<string, Stat>>;
  /** HD95 (mm) per class name and `mean`; infinite distances (an empty prediction) are left out. */
  readonly hd95: Readonly<Record<string, Stat>>;
  readonly params: number | null;
  readonly flops: number | null;
  /** Device-hours of the searches this arm's genotypes came from (searched and transfer arms). */
  readonly searchHours: number;
  readonly trainHours: number;
  /** Backends the jobs ran on (`cpu + @voxnas/kernels native (2 threads, …)`). */
  readonly backends: readonly string[];
  /** Folds whose evaluation could have seen a case searched on (protocol once). */
  readonly sawSearchCases: readonly number[];
  /** Folds with a single training case (repeated for the inner validation). */
  readonly repeatedFolds: readonly number[];
  /** Per held-out case (every fold's), the foreground-mean Dice averaged over seeds and genotypes. */
  readonly perCase: Readonly<Record<string, number>>;
}

/** A paired comparison of two arms on one task and class. */
export interface ComparisonRow {
  readonly task: string;
  readonly a: string;
  readonly b: string;
  /** A class name or `mean`. */
  readonly class: string;
  readonly meanA: number;
  readonly meanB: number;
  readonly meanDifference: number;
  readonly ci: { readonly lower: number; readonly upper: number };
  readonly pvalue: number;
  /** Holm-adjusted over every task and class of this pair of arms (class rows and `mean` rows separately). */
  readonly pHolm: number;
  readonly n: number;
  readonly statement: string;
}

/** The searched network's rank among R random genotypes on a task. */
export interface RankRow {
  readonly task: string;
  readonly arm: string;
  readonly random: string;
  /** 1 = better than every random genotype. */
  readonly rank: number;
  /** R + 1. */
  readonly of: number;
  readonly armMean: number;
  readonly randomMeans: readonly number[];
}

/** One evaluated case of one run. */
export interface PerCaseRow {
  readonly task: string;
  readonly fold: number;
  readonly arm: string;
  readonly genotype: number | null;
  readonly seed: number;
  readonly caseId: string;
  readonly class: string;
  readonly dice: number | null;
  readonly hd95: number | null;
}

/** One search-quality study (spec `searchQuality`): how its search's supernet ranked architectures. */
export interface SearchQualityRow {
  readonly task: string;
  /** null for a protocol-once search. */
  readonly fold: number | null;
  readonly seed: number;
  /** Architectures ranked: the random ones and the derived one. */
  readonly count: number;
  readonly standaloneSteps: number;
  /** NaN (null in report.json) when a ranking has no spread (e.g. every stand-alone score equal). */
  readonly kendall: { readonly value: number; readonly lower: number; readonly upper: number; readonly pvalue: number };
  readonly spearman: { readonly value: number; readonly lower: number; readonly upper: number; readonly pvalue: number };
  /** The derived architecture's rank (1 = best) by stand-alone score and by the supernet. */
  readonly derivedStandaloneRank: number;
  readonly derivedProxyRank: number;
}

/** Everything the report shows. */
export interface ExperimentResults {
  readonly schema: 'voxnas/experiment-results@1';
  readonly name: string;
  readonly specHash: string;
  readonly protocol: {
    readonly folds: number;
    /** The outer folds that ran (every fold unless the spec's `runFolds` said otherwise). */
    readonly runFolds: readonly number[];
    readonly seeds: readonly number[];
    readonly search: string;
    readonly searchTask: string | null;
    readonly searchCases: string | null;
    readonly budget: { readonly searchSteps: number | null; readonly trainSteps: number | null };
    readonly confidence: number;
    readonly resamples: number;
  };
  readonly tasks: ReadonlyArray<{ readonly task: string; readonly classes: readonly string[]; readonly cases: number; readonly arms: readonly ArmResult[] }>;
  readonly comparisons: readonly ComparisonRow[];
  readonly ranks: readonly RankRow[];
  /** The search-quality studies that finished (none unless the spec asked for them). */
  readonly searchQuality: readonly SearchQualityRow[];
  /** Evaluations planned but not done (with their state and log). */
  readonly missing: ReadonlyArray<{ readonly id: string; readonly state: string; readonly log: string }>;
  readonly notes: readonly string[];
  readonly perCase: readonly PerCaseRow[];
}

const EXPERIMENT_FILE = z.object({
  schema: z.literal('voxnas/experiment@1'),
  name: z.string(),
  specHash: z.string(),
  spec: z.object({
    seed: z.number(),
    seeds: z.array(z.number()),
    folds: z.number(),
    runFolds: z.array(z.number()).optional(),
    budget: z.object({ searchSteps: z.number().optional(), trainSteps: z.number().optional() }),
    search: z.object({ protocol: z.string(), task: z.string().optional(), cases: z.unknown().optional() }),
    arms: z.array(z.object({ name: z.string(), kind: z.string() }).loose()),
    report: z.object({ resamples: z.number(), confidence: z.number() }),
  }).loose(),
  tasks: z.array(z.object({ name: z.string(), labelNames: z.record(z.string(), z.string()), folds: z.array(z.object({ test: z.array(z.string()) }).loose()) }).loose()),
  notes: z.array(z.string()),
  jobIds: z.array(z.string()),
});
type ExperimentFile = z.output<typeof EXPERIMENT_FILE>;

/** Reads `experiment.json` of an experiment directory. */
export function readExperimentFile(expDir: string): ExperimentFile {
  const path = layout.specFile(expDir);
  if (!existsSync(path)) throw new ExperimentStateError(`${expDir}: no experiment.json (not an experiment directory; run 'voxnas experiment run <spec> --out ${expDir}' first)`);
  const r = EXPERIMENT_FILE.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success) throw new ExperimentStateError(`${path}: field '${r.error.issues[0]!.path.join('.')}' ${r.error.issues[0]!.message}`);
  return r.data;
}

const METRICS_FILE = z.object({
  cases: z.array(
    z.object({
      caseId: z.string(),
      result: z.object({ classes: z.array(z.object({ name: z.string(), metrics: z.record(z.string(), z.number().nullable()) }).loose()) }).loose(),
    }),
  ),
}).loose();

// A correlation is NaN (null in the JSON) when a ranking has no spread, e.g. every stand-alone score 0.
// (z.object keeps only these four fields of the file's correlation.)
const nan = z.number().nullable().transform((v) => v ?? Number.NaN);
const CORRELATION = z.object({ value: nan, lower: nan, upper: nan, pvalue: nan });
const SEARCH_QUALITY_FILE = z
  .object({
    count: z.number(),
    standaloneSteps: z.number(),
    kendall: CORRELATION,
    spearman: CORRELATION,
    derivedStandaloneRank: z.number(),
    derivedProxyRank: z.number(),
  })
  .loose();

interface LoadedJob {
  readonly file: JobFile;
  readonly status: JobStatus | null;
}

function mean(v: readonly number[]): number {
  const f = v.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

function sd(v: readonly number[]): number {
  const f = v.filter((x) => Number.isFinite(x));
  if (f.length < 2) return Number.NaN;
  const m = mean(f);
  return Math.sqrt(f.reduce((a, x) => a + (x - m) ** 2, 0) / (f.length - 1));
}

function backendName(line: string | null): string | null {
  return line ? line.replace(/^voxnas backend:\s*/, '') : null;
}

/**
 * Aggregates an experiment directory into {@link ExperimentResults}: per task and arm, Dice per class
 * and the foreground mean as mean ± sd over runs (folds × seeds, × genotypes for random arms) with a
 * bootstrap CI of the mean over cases (each case averaged over its runs); HD95 likewise; parameters
 * and FLOPs (at the run's patch size); search and training device-hours with the backends named.
 * Paired comparisons per task — every searched/transfer/genotype arm against every U-Net and random
 * arm — with `compareMethods` of `@voxnas/metrics` (Wilcoxon signed-rank over cases, each case
 * averaged over seeds; the mean difference with its bootstrap CI), Holm-corrected across tasks and
 * classes per pair of arms; the searched network's rank among the random genotypes. Evaluations not
 * done yet are listed in `missing`; everything else is computed from what is there.
 *
 * @example
 * const results = aggregateExperiment('/runs/study');
 * results.tasks[0].arms.map((a) => [a.arm, a.dice.mean.mean]);
 */
export async function aggregateExperiment(expDir: string): Promise<ExperimentResults> {
  const exp = readExperimentFile(expDir);
  const jobs = new Map<string, LoadedJob>();
  for (const id of exp.jobIds) {
    const dir = join(expDir, id);
    const file = await readJobFile(join(dir, JOB_FILES.job));
    jobs.set(id, { file, status: await readJobStatus(dir).catch(() => null) });
  }
  const isDone = (j: LoadedJob | undefined) => j?.status?.state === 'done' && j.status.hash === j.file.hash;
  const { spec } = exp;
  const perCase: PerCaseRow[] = [];
  const missing: Array<{ id: string; state: string; log: string }> = [];
  const notes = [...exp.notes];
  const seedsStr = (s: unknown) => (typeof s === 'number' ? s : Number(s));

  interface Run {
    fold: number;
    seed: number;
    genotype: number | null;
    evalJob: LoadedJob;
    train: LoadedJob | undefined;
    /** caseId → class → {dice, hd95} */
    cases: Map<string, Map<string, { dice: number; hd95: number }>>;
  }
  // task → arm → runs
  const runs = new Map<string, Map<string, Run[]>>();
  const planned = new Map<string, number>();
  for (const [id, j] of jobs) {
    if (j.file.kind !== 'evaluate') continue;
    const m = j.file.meta as Record<string, unknown>;
    const key = `${m.task}\u0000${m.arm}`;
    planned.set(key, (planned.get(key) ?? 0) + 1);
    if (!isDone(j)) {
      missing.push({ id, state: j.status?.state ?? 'not started', log: join(j.file.dir, JOB_FILES.log) });
      continue;
    }
    const metricsPath = join(j.file.dir, 'metrics.json');
    const metrics = METRICS_FILE.safeParse(JSON.parse(readFileSync(metricsPath, 'utf8')));
    if (!metrics.success) throw new ExperimentStateError(`${metricsPath}: not a voxnas metrics.json (${metrics.error.issues[0]!.message})`);
    const run: Run = {
      fold: seedsStr(m.fold),
      seed: seedsStr(m.seed),
      genotype: typeof m.genotype === 'number' ? m.genotype : null,
      evalJob: j,
      train: jobs.get(j.file.deps[0]?.id ?? ''),
      cases: new Map(),
    };
    for (const c of metrics.data.cases) {
      const byClass = new Map<string, { dice: number; hd95: number }>();
      for (const k of c.result.classes) {
        const dice = k.metrics.dice ?? Number.NaN;
        const hd95 = k.metrics.hd95 ?? Number.NaN;
        byClass.set(k.name, { dice, hd95 });
        perCase.push({
          task: String(m.task),
          fold: run.fold,
          arm: String(m.arm),
          genotype: run.genotype,
          seed: run.seed,
          caseId: c.caseId,
          class: k.name,
          dice: k.metrics.dice ?? null,
          hd95: k.metrics.hd95 ?? null,
        });
      }
      run.cases.set(c.caseId, byClass);
    }
    const byArm = runs.get(String(m.task)) ?? new Map<string, Run[]>();
    runs.set(String(m.task), byArm);
    byArm.set(String(m.arm), [...(byArm.get(String(m.arm)) ?? []), run]);
  }

  const root = new Rng(spec.seed).fork('experiment-report');
  const resamples = spec.report.resamples;
  const confidence = spec.report.confidence;
  const tasks: Array<ExperimentResults['tasks'][number]> = [];
  const comparisons: Array<Omit<ComparisonRow, 'pHolm'>> = [];
  const ranks: RankRow[] = [];

  for (const t of exp.tasks) {
    const classes = Object.entries(t.labelNames)
      .filter(([v]) => Number(v) !== 0)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([, n]) => n);
    const caseIds = t.folds.flatMap((f) => f.test);
    const byArm = runs.get(t.name) ?? new Map<string, Run[]>();
    const caseValue = (r: Run, caseId: string, cls: string, metric: 'dice' | 'hd95'): number => {
      const byClass = r.cases.get(caseId);
      if (!byClass) return Number.NaN;
      if (cls === 'mean') {
        const v = classes.map((c) => byClass.get(c)?.[metric] ?? Number.NaN).filter((x) => Number.isFinite(x));
        return v.length ? mean(v) : Number.NaN;
      }
      const v = byClass.get(cls)?.[metric] ?? Number.NaN;
      return Number.isFinite(v) ? v : Number.NaN;
    };
    const arms: ArmResult[] = [];
    for (const armSpec of spec.arms) {
      const armRuns = byArm.get(armSpec.name) ?? [];
      const key = `${t.name}\u0000${armSpec.name}`;
      if (!planned.has(key)) continue; // e.g. a transfer arm on its own source task
      const stat = (cls: string, metric: 'dice' | 'hd95'): Stat => {
        const runMeans = armRuns.map((r) => mean([...r.cases.keys()].map((c) => caseValue(r, c, cls, metric))));
        const perCaseMeans = caseIds.map((c) => mean(armRuns.filter((r) => r.cases.has(c)).map((r) => caseValue(r, c, cls, metric)))).filter((x) => Number.isFinite(x));
        let ci: Stat['ci'] = null;
        if (metric === 'dice' && perCaseMeans.length >= 2) {
          const b = bootstrapCi(perCaseMeans, { rng: root.fork(`ci/${t.name}/${armSpec.name}/${cls}`), resamples, confidence });
          ci = { lower: b.lower, upper: b.upper };
        }
        return { mean: mean(runMeans), sd: sd(runMeans), runs: runMeans.filter((x) => Number.isFinite(x)).length, ci, cases: perCaseMeans.length };
      };
      const dice: Record<string, Stat> = {};
      const hd95: Record<string, Stat> = {};
      for (const cls of [...classes, 'mean']) {
        dice[cls] = stat(cls, 'dice');
        hd95[cls] = stat(cls, 'hd95');
      }
      // Cost and size.
      const searchJobs = new Set<string>();
      let trainSeconds = 0;
      const backends = new Set<string>();
      const params: number[] = [];
      const flops: number[] = [];
      const searchedOn = new Set<string>();
      for (const r of armRuns) {
        const tj = r.train;
        if (!tj) continue;
        const tm = tj.file.meta as Record<string, unknown>;
        if (typeof tm.searchedOn === 'string') searchedOn.add(tm.searchedOn);
        if ((armSpec.kind === 'searched' || armSpec.kind === 'transfer') && typeof tm.search === 'string') searchJobs.add(tm.search);
        trainSeconds += tj.status?.deviceSeconds ?? 0;
        const b = backendName(tj.status?.backend ?? null);
        if (b) backends.add(b);
        const size = runSize(tj.file.dir);
        if (size) {
          params.push(size.params);
          flops.push(size.flops);
        }
      }
      let searchSeconds = 0;
      for (const id of searchJobs) {
        const sj = jobs.get(id);
        searchSeconds += sj?.status?.deviceSeconds ?? 0;
        const b = backendName(sj?.status?.backend ?? null);
        if (b) backends.add(b);
      }
      const on = [...searchedOn][0] ?? null;
      const perCaseMean: Record<string, number> = {};
      for (const c of caseIds) {
        const v = mean(armRuns.filter((r) => r.cases.has(c)).map((r) => caseValue(r, c, 'mean', 'dice')));
        if (Number.isFinite(v)) perCaseMean[c] = v;
      }
      arms.push({
        arm: armSpec.name,
        kind: armSpec.kind,
        searchedOn: on,
        transfer: on !== null && on !== t.name,
        runsDone: armRuns.length,
        runsPlanned: planned.get(key) ?? 0,
        dice,
        hd95,
        params: params.length ? Math.round(mean(params)) : null,
        flops: flops.length ? mean(flops) : null,
        searchHours: searchSeconds / 3600,
        trainHours: trainSeconds / 3600,
        backends: [...backends].sort(),
        sawSearchCases: [...new Set(armRuns.filter((r) => (r.evalJob.file.meta as Record<string, unknown>).sawSearchCases === true).map((r) => r.fold))].sort(),
        repeatedFolds: [...new Set(armRuns.filter((r) => (r.evalJob.file.meta as Record<string, unknown>).repeatedCase === true).map((r) => r.fold))].sort(),
        perCase: perCaseMean,
      });
    }
    tasks.push({ task: t.name, classes, cases: caseIds.length, arms });

    // Paired comparisons: candidates (searched, transfer, genotype) against baselines (unet, random).
    const candidates = arms.filter((a) => a.kind === 'searched' || a.kind === 'transfer' || a.kind === 'genotype');
    const baselines = arms.filter((a) => a.kind === 'unet' || a.kind === 'random');
    const matrix = (arm: string, cls: string): number[][] => {
      const rs = byArm.get(arm) ?? [];
      const keys = [...new Set(rs.map((r) => `${r.genotype ?? ''}/${r.seed}`))].sort();
      return keys.map((k) =>
        caseIds.map((c) => {
          const r = rs.find((x) => `${x.genotype ?? ''}/${x.seed}` === k && x.cases.has(c));
          return r ? caseValue(r, c, cls, 'dice') : Number.NaN;
        }),
      );
    };
    for (const a of candidates) {
      for (const b of baselines) {
        for (const cls of [...classes, 'mean']) {
          const ma = matrix(a.arm, cls);
          const mb = matrix(b.arm, cls);
          if (!ma.length || !mb.length) continue;
          let cmp;
          try {
            cmp = compareMethods(ma, mb, {
              rng: root.fork(`compare/${t.name}/${a.arm}/${b.arm}/${cls}`),
              names: [a.arm, b.arm],
              metric: cls === 'mean' ? 'mean Dice' : `${cls} Dice`,
              resamples,
              confidence,
            });
          } catch {
            continue; // fewer than 2 cases scored by both: no test
          }
          comparisons.push({
            task: t.name,
            a: a.arm,
            b: b.arm,
            class: cls,
            meanA: cmp.a.mean,
            meanB: cmp.b.mean,
            meanDifference: cmp.meanDifference,
            ci: { lower: cmp.ci.lower, upper: cmp.ci.upper },
            pvalue: cmp.wilcoxon.pvalue,
            n: cmp.differences.length,
            statement: cmp.statement,
          });
        }
        // Rank among the random genotypes (by the foreground mean Dice over folds × seeds).
        if (b.kind === 'random') {
          const rs = byArm.get(b.arm) ?? [];
          const gs = [...new Set(rs.map((r) => r.genotype))].sort((x, y) => (x ?? 0) - (y ?? 0));
          const randomMeans = gs.map((g) =>
            mean(rs.filter((r) => r.genotype === g).map((r) => mean([...r.cases.keys()].map((c) => caseValue(r, c, 'mean', 'dice'))))),
          );
          const armMean = a.dice.mean!.mean;
          if (Number.isFinite(armMean) && randomMeans.length) {
            ranks.push({ task: t.name, arm: a.arm, random: b.arm, rank: 1 + randomMeans.filter((x) => x > armMean).length, of: randomMeans.length + 1, armMean, randomMeans });
          }
        }
      }
    }
  }

  // Holm across tasks and classes, per pair of arms (per-class tests and mean-Dice tests separately).
  const families = new Map<string, number[]>();
  comparisons.forEach((c, i) => {
    const key = `${c.a}\u0000${c.b}\u0000${c.class === 'mean' ? 'mean' : 'class'}`;
    families.set(key, [...(families.get(key) ?? []), i]);
  });
  const pHolm = new Array<number>(comparisons.length).fill(Number.NaN);
  for (const idx of families.values()) {
    const adj = holmAdjust(idx.map((i) => comparisons[i]!.pvalue));
    idx.forEach((i, k) => (pHolm[i] = adj[k]!));
  }

  const searchQuality: SearchQualityRow[] = [];
  for (const [id, j] of jobs) {
    if (j.file.kind !== 'search-quality') continue;
    if (!isDone(j)) {
      notes.push(`search-quality job ${id} not done (${j.status?.state ?? 'not started'}; log ${join(j.file.dir, JOB_FILES.log)})`);
      continue;
    }
    const path = join(j.file.dir, 'search-quality.json');
    const q = SEARCH_QUALITY_FILE.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!q.success) throw new ExperimentStateError(`${path}: not a voxnas search-quality.json (field '${q.error.issues[0]!.path.join('.')}' ${q.error.issues[0]!.message})`);
    const m = j.file.meta as Record<string, unknown>;
    searchQuality.push({
      task: String(m.task),
      fold: typeof m.fold === 'number' ? m.fold : null,
      seed: seedsStr(m.seed),
      count: q.data.count,
      standaloneSteps: q.data.standaloneSteps,
      kendall: q.data.kendall,
      spearman: q.data.spearman,
      derivedStandaloneRank: q.data.derivedStandaloneRank,
      derivedProxyRank: q.data.derivedProxyRank,
    });
  }

  const search = spec.search as { protocol: string; task?: string; cases?: unknown };
  return {
    schema: 'voxnas/experiment-results@1',
    name: exp.name,
    specHash: exp.specHash,
    protocol: {
      folds: spec.folds,
      runFolds: foldsRun(spec),
      seeds: spec.seeds,
      search: search.protocol,
      searchTask: search.task ?? null,
      searchCases: search.cases === undefined ? null : JSON.stringify(search.cases),
      budget: { searchSteps: spec.budget.searchSteps ?? null, trainSteps: spec.budget.trainSteps ?? null },
      confidence,
      resamples,
    },
    tasks,
    comparisons: comparisons.map((c, i) => ({ ...c, pHolm: pHolm[i]! })),
    ranks,
    searchQuality,
    missing,
    notes,
    perCase,
  };
}

/** Parameters and FLOPs of a finished train run (its network.json and config.json), or null. */
function runSize(dir: string): { params: number; flops: number } | null {
  const net = join(dir, 'network.json');
  const cfg = join(dir, 'config.json');
  if (!existsSync(net) || !existsSync(cfg)) return null;
  try {
    const spec = JSON.parse(readFileSync(net, 'utf8')) as NetworkSpec;
    const config = JSON.parse(readFileSync(cfg, 'utf8')) as { config: { data: { patchSize: [number, number, number] } } };
    const summary = existsSync(join(dir, 'train.json')) ? (JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8')) as { params?: number }) : {};
    const cost = networkCost(spec, config.config.data.patchSize);
    return { params: summary.params ?? cost.params, flops: cost.flops };
  } catch {
    return null;
  }
}
