import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { compareMethods, toJson, type AggregateResult } from '@voxnas/metrics';
import { evaluateCases, type EvaluationCase } from '@voxnas/train/node';
import { checkSameGrid } from '@voxnas/train';
import { Rng } from '@voxnas/core';
import { readNifti } from '@voxnas/volume/node';
import { ConfigError, UsageError } from '../errors.js';
import { defineCommand } from '../command.js';
import { METRICS_FILE, readJsonFile } from '../run-files.js';
import type { z } from 'zod';
import { atomicWrite } from '@voxnas/core/node';
import { caseName, listNiftiFiles } from './predict.js';

/** Flags of `voxnas evaluate --pred … --ref …`. */
export interface EvaluateFlags {
  pred?: string;
  ref?: string;
  out?: string;
  /** Comma-separated label values to score, e.g. `1,2,3` (default: every non-zero label present). */
  labels?: string;
}

/** Per-case, per-class metrics and their summary (the `metrics.json` of a run or of `voxnas evaluate --out`). */
export interface MetricsFile {
  readonly cases: ReadonlyArray<{
    readonly caseId: string;
    readonly result: { readonly classes: ReadonlyArray<{ readonly name: string; readonly metrics: Record<string, number | null> }> };
  }>;
  readonly summary: AggregateResult;
}

/** Parses `--labels 1,2,3`. */
export function parseLabels(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isInteger(out[i]) || out[i]! < 0);
  if (bad >= 0) throw new UsageError(`voxnas evaluate --labels '${text}': '${parts[bad]}' is not a label value (expected e.g. 1,2,3)`);
  return out;
}

/**
 * `voxnas evaluate --pred <dir> --ref <dir>`: matches prediction and reference files by case name
 * (file name without `.nii`/`.nii.gz`), checks every pair is on the same grid, scores them with
 * `@voxnas/metrics` (Dice, HD95, …; class names from `<ref>/../dataset.json` when the references are
 * a dataset's label folder) and, with `--out`, writes `metrics.json`, `metrics.csv` and
 * `summary.csv`. Unmatched files raise {@link ConfigError} naming them; a grid mismatch raises
 * `GeometryError` naming the pair.
 *
 * @example
 * const m = await runEvaluate({ pred: 'runs/pred', ref: 'data/labelsTr', labels: '1,2', out: 'runs/eval' });
 * m.summary.classes[0].metrics.dice.mean;
 */
export async function runEvaluate(flags: EvaluateFlags): Promise<MetricsFile> {
  if (!flags.pred || !flags.ref) throw new UsageError('voxnas evaluate: give --pred <dir> and --ref <dir> (or --compare <runA> <runB>)');
  const labels = flags.labels !== undefined ? parseLabels(flags.labels) : undefined;
  const preds = await listNiftiFiles(resolve(flags.pred), '--pred');
  const refs = await listNiftiFiles(resolve(flags.ref), '--ref');
  const refByCase = new Map(refs.map((f) => [caseName(f), f]));
  const predByCase = new Map(preds.map((f) => [caseName(f), f]));
  const noRef = preds.filter((f) => !refByCase.has(caseName(f))).map((f) => basename(f));
  const noPred = refs.filter((f) => !predByCase.has(caseName(f))).map((f) => basename(f));
  if (noRef.length || noPred.length) {
    throw new ConfigError(
      `voxnas evaluate: files are matched by case name; ` +
        [
          noRef.length ? `no reference in ${flags.ref} for ${noRef.join(', ')}` : '',
          noPred.length ? `no prediction in ${flags.pred} for ${noPred.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    );
  }
  const cases: EvaluationCase[] = [];
  for (const p of preds) {
    const id = caseName(p);
    const r = refByCase.get(id)!;
    const [prediction, reference] = await Promise.all([readNifti(p), readNifti(r)]);
    checkSameGrid(prediction, reference, { where: `voxnas evaluate: prediction ${p} vs reference ${r}` });
    cases.push({ caseId: id, prediction, reference });
  }
  const labelNames = await datasetLabelNames(resolve(flags.ref));
  const report = await evaluateCases(cases, {
    ...(labels ? { labels } : {}),
    ...(labelNames ? { labelNames } : {}),
    ...(flags.out !== undefined ? { outDir: resolve(flags.out) } : {}),
  });
  return JSON.parse(toJson(report)) as MetricsFile;
}

/** Label names of an MSD / nnU-Net dataset whose `labelsTr` (or similar) folder is `refDir`, if any. */
async function datasetLabelNames(refDir: string): Promise<Record<number, string> | null> {
  const file = join(refDir, '..', 'dataset.json');
  if (!existsSync(file)) return null;
  let labels: Record<string, unknown>;
  try {
    labels = (JSON.parse(await readFile(file, 'utf8')) as { labels?: Record<string, unknown> }).labels ?? {};
  } catch (cause) {
    throw new ConfigError(`voxnas evaluate --ref ${refDir}: ${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    // MSD: { "1": "liver" }; nnU-Net v2: { "liver": 1 }.
    if (/^\d+$/.test(k) && typeof v === 'string') out[Number(k)] = v;
    else if (typeof v === 'number' && Number.isInteger(v)) out[v] = k;
  }
  return Object.keys(out).length ? out : null;
}

/**
 * Summary lines of an evaluation: per class, mean ± std of Dice and HD95.
 *
 * @example
 * console.log(formatEvaluation(await runEvaluate({ pred: 'p', ref: 'r' })));
 */
export function formatEvaluation(m: MetricsFile): string {
  const rows = m.summary.classes.map((c) => [
    c.name,
    fmtMeanStd(c.metrics.dice.mean, c.metrics.dice.std),
    fmtMeanStd(c.metrics.hd95.mean, c.metrics.hd95.std),
    String(c.metrics.dice.n),
  ]);
  return table(['class', 'Dice', 'HD95 (mm)', 'n'], rows) + `\nmean foreground Dice ${fmt(m.summary.foregroundMean.dice)} over ${m.summary.cases} case(s)`;
}

/** One class of a paired comparison of two runs. */
export interface ClassComparison {
  readonly name: string;
  readonly meanA: number;
  readonly meanB: number;
  /** Mean over cases of Dice(A) − Dice(B). */
  readonly meanDifference: number;
  /** 95% BCa bootstrap interval of the mean difference. */
  readonly ci: { readonly lower: number; readonly upper: number; readonly confidence: number };
  /** Two-sided paired Wilcoxon signed-rank p-value. */
  readonly pvalue: number;
  /** Cases with a Dice in both runs. */
  readonly n: number;
  readonly statement: string;
}

/** What `voxnas evaluate --compare` reports (and writes as `compare.json`). */
export interface RunComparison {
  readonly runs: readonly [string, string];
  readonly metric: 'dice';
  readonly cases: readonly string[];
  readonly classes: readonly ClassComparison[];
}

/** A `metrics.json` as read back from disk (validated: see `METRICS_FILE`). */
export type StoredMetrics = z.output<typeof METRICS_FILE>;

/**
 * Reads `metrics.json` of a run directory (or the file itself): {@link ConfigError} when missing or not
 * JSON, `FormatError` naming every bad field when it is not what voxnas writes.
 */
export async function readMetricsFile(path: string): Promise<StoredMetrics> {
  const p = resolve(path);
  const file = existsSync(p) && (await stat(p)).isDirectory() ? join(p, 'metrics.json') : p;
  if (!existsSync(file)) throw new ConfigError(`${path}: no metrics.json (run 'voxnas train' or 'voxnas evaluate --out' first)`);
  return readJsonFile(file, METRICS_FILE, `voxnas evaluate --compare ${path}`);
}

/** Per-class Dice of each case, NaN where missing or null. */
export function dicePerCase(m: Pick<MetricsFile, 'cases'>, className: string, caseIds: readonly string[]): number[] {
  const byId = new Map(m.cases.map((c) => [c.caseId, c]));
  return caseIds.map((id) => {
    const k = byId.get(id)?.result.classes.find((c) => c.name === className);
    const v = k?.metrics.dice;
    return typeof v === 'number' ? v : Number.NaN;
  });
}

/**
 * `voxnas evaluate --compare <runA> <runB>`: for each class scored in both runs, the paired per-case
 * Dice difference A − B with its 95% bootstrap interval and a Wilcoxon signed-rank p-value
 * (`compareMethods` of `@voxnas/metrics`, seeded so the interval is reproducible). Both runs must
 * have scored the same cases; otherwise {@link ConfigError} names the cases that differ.
 *
 * @example
 * const c = await compareRuns({ runs: ['runs/searched', 'runs/unet'], out: 'runs/compare' });
 * c.classes[0].pvalue; c.classes[0].ci; // Wilcoxon p, 95% CI of the mean Dice difference
 */
export async function compareRuns(options: { runs: readonly [string, string]; out?: string; resamples?: number; seed?: number }): Promise<RunComparison> {
  const [pa, pb] = options.runs;
  const [a, b] = await Promise.all([readMetricsFile(pa), readMetricsFile(pb)]);
  const idsA = a.cases.map((c) => c.caseId);
  const idsB = new Set(b.cases.map((c) => c.caseId));
  const onlyA = idsA.filter((id) => !idsB.has(id));
  const onlyB = [...idsB].filter((id) => !idsA.includes(id));
  if (onlyA.length || onlyB.length) {
    throw new ConfigError(
      `voxnas evaluate --compare: the runs must score the same cases; ` +
        [onlyA.length ? `only ${pa} has ${onlyA.join(', ')}` : '', onlyB.length ? `only ${pb} has ${onlyB.join(', ')}` : '']
          .filter(Boolean)
          .join('; '),
    );
  }
  const namesB = new Set(b.cases.flatMap((c) => c.result.classes.map((k) => k.name)));
  const classNames = [...new Set(a.cases.flatMap((c) => c.result.classes.map((k) => k.name)))].filter((n) => namesB.has(n));
  if (classNames.length === 0) throw new ConfigError(`voxnas evaluate --compare: ${pa} and ${pb} have no class in common`);
  const rng = new Rng(options.seed ?? 0);
  const labelA = basename(resolve(pa));
  const labelB = basename(resolve(pb));
  const classes = classNames.map((name): ClassComparison => {
    const da = dicePerCase(a, name, idsA);
    const db = dicePerCase(b, name, idsA);
    const cmp = compareMethods([da], [db], {
      rng: rng.fork(`compare-${name}`),
      names: [labelA, labelB],
      metric: `${name} Dice`,
      resamples: options.resamples ?? 10_000,
    });
    return {
      name,
      meanA: cmp.a.mean,
      meanB: cmp.b.mean,
      meanDifference: cmp.meanDifference,
      ci: { lower: cmp.ci.lower, upper: cmp.ci.upper, confidence: cmp.ci.confidence },
      pvalue: cmp.wilcoxon.pvalue,
      n: cmp.differences.length,
      statement: cmp.statement,
    };
  });
  const result: RunComparison = { runs: [resolve(pa), resolve(pb)], metric: 'dice', cases: idsA, classes };
  if (options.out !== undefined) {
    const dir = resolve(options.out);
    await mkdir(dir, { recursive: true });
    await atomicWrite(join(dir, 'compare.json'), `${toJson(result)}\n`);
  }
  return result;
}

/**
 * The comparison as a text table (one row per class: Dice A, Dice B, A − B, 95% CI, p, n).
 *
 * @example
 * console.log(formatComparison(await compareRuns({ runs: ['runs/a', 'runs/b'] })));
 */
export function formatComparison(c: RunComparison): string {
  const rows = c.classes.map((k) => [
    k.name,
    fmt(k.meanA),
    fmt(k.meanB),
    `${k.meanDifference >= 0 ? '+' : ''}${fmt(k.meanDifference)}`,
    `[${fmt(k.ci.lower)}, ${fmt(k.ci.upper)}]`,
    fmtP(k.pvalue),
    String(k.n),
  ]);
  return [`A = ${c.runs[0]}`, `B = ${c.runs[1]}`, table(['class', 'Dice A', 'Dice B', 'A − B', '95% CI', 'Wilcoxon p', 'n'], rows)].join('\n');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

function fmtMeanStd(mean: number, std: number): string {
  return Number.isFinite(std) ? `${fmt(mean)} ± ${fmt(std)}` : fmt(mean);
}

/** A p-value with two significant digits (scientific below 1e-4). */
export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `voxnas evaluate`. */
export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'score predictions against references, or compare two runs per class (paired Wilcoxon + bootstrap CI)',
  usage: '(--pred <dir> --ref <dir> [--out <dir>] [--labels 1,2,3] | --compare <runA> <runB> [--out <dir>]) [--json]',
  positionals: { value: '<runA> <runB>', description: 'with --compare: two train runs (or metrics.json files) that scored the same cases' },
  flags: {
    pred: { type: 'string', value: '<dir>', description: 'predicted label maps (.nii/.nii.gz), matched to --ref by case name' },
    ref: { type: 'string', value: '<dir>', description: "reference label maps; class names from <ref>/../dataset.json when it is a dataset's label folder" },
    labels: { type: 'string', value: '<1,2,3>', description: 'label values to score', default: 'every non-zero label present' },
    compare: { type: 'boolean', description: 'compare two runs: per class, the paired Dice difference with a 95% bootstrap CI and a Wilcoxon p-value' },
    out: { type: 'string', value: '<dir>', description: 'also write metrics.json, metrics.csv and summary.csv (or compare.json) there' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ flags, positionals, io }) {
    if (flags.compare) {
      if (positionals.length !== 2 || flags.pred || flags.ref) {
        throw new UsageError(`voxnas evaluate --compare: expected two run directories, got ${positionals.length} and no --pred/--ref`);
      }
      const r = await compareRuns({ runs: [positionals[0]!, positionals[1]!], ...(flags.out ? { out: flags.out } : {}) });
      io.out(flags.json ? JSON.stringify(r, null, 2) : formatComparison(r));
      return 0;
    }
    if (positionals.length) throw new UsageError(`voxnas evaluate: unexpected argument '${positionals[0]}'`);
    const r = await runEvaluate(flags);
    io.out(flags.json ? JSON.stringify(r, null, 2) : formatEvaluation(r));
    return 0;
  },
});
