import { InvalidArgumentError } from '@voxnas/core';
import type { SegmentationResult } from './evaluate-segmentation.js';
import { METRIC_NAMES, type MetricName } from './mask-metrics.js';

/** One evaluated case: an id (file name, subject) and its {@link SegmentationResult}. */
export interface CaseResult {
  caseId: string;
  result: SegmentationResult;
}

/** Summary statistics of one metric over cases; NaN values are excluded and counted. */
export interface MetricSummary {
  mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN when fewer than 2 values. */
  std: number;
  median: number;
  min: number;
  max: number;
  /** Number of non-NaN values used. */
  n: number;
  /** Number of NaN values excluded (e.g. both masks empty under the 'nan' policy). */
  nanCount: number;
}

/** Result of {@link aggregateCases}. */
export interface AggregateResult {
  /** Per label/region, in first-seen order. */
  classes: { name: string; metrics: Record<MetricName, MetricSummary> }[];
  /** Mean over classes of the per-class means (classes whose mean is NaN are skipped). */
  foregroundMean: Record<MetricName, number>;
  /** Number of cases aggregated. */
  cases: number;
}

/**
 * Summarises per-case results: per class (label or region, matched by name) and metric, the mean,
 * sample std, median, min, max and count of non-NaN values; and the *foreground mean* — the mean over
 * classes of the per-class means (nnU-Net's "mean of foreground classes"; background is only in it if
 * you evaluated label 0).
 *
 * @example
 * const agg = aggregateCases([{ caseId: 'a', result: resA }, { caseId: 'b', result: resB }]);
 * agg.classes[0].metrics.dice.mean; agg.foregroundMean.hd95;
 */
export function aggregateCases(cases: readonly CaseResult[]): AggregateResult {
  if (cases.length === 0) throw new InvalidArgumentError('aggregateCases: expected at least one case, got 0');
  const byClass = new Map<string, Record<MetricName, number[]>>();
  for (const c of cases) {
    for (const k of c.result.classes) {
      let rec = byClass.get(k.name);
      if (!rec) {
        rec = Object.fromEntries(METRIC_NAMES.map((m) => [m, [] as number[]])) as Record<MetricName, number[]>;
        byClass.set(k.name, rec);
      }
      for (const m of METRIC_NAMES) rec[m].push(k.metrics[m]);
    }
  }
  const classes = [...byClass].map(([name, rec]) => ({
    name,
    metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, summarize(rec[m])])) as Record<MetricName, MetricSummary>,
  }));
  const foregroundMean = Object.fromEntries(
    METRIC_NAMES.map((m) => {
      const means = classes.map((c) => c.metrics[m].mean).filter((x) => !Number.isNaN(x));
      return [m, means.length ? means.reduce((s, x) => s + x, 0) / means.length : Number.NaN];
    }),
  ) as Record<MetricName, number>;
  return { classes, foregroundMean, cases: cases.length };
}

/**
 * Mean, sample std (n − 1), median, min, max of the non-NaN values.
 *
 * @example
 * summarize([1, 2, NaN, 4]); // { mean: 7/3, std: 1.5275…, median: 2, min: 1, max: 4, n: 3, nanCount: 1 }
 */
export function summarize(values: readonly number[]): MetricSummary {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) {
    return { mean: NaN, std: NaN, median: NaN, min: NaN, max: NaN, n: 0, nanCount: values.length };
  }
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const ss = v.reduce((s, x) => s + (x - mean) * (x - mean), 0);
  const median = n % 2 ? v[(n - 1) / 2]! : 0.5 * (v[n / 2 - 1]! + v[n / 2]!);
  return {
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN,
    median,
    min: v[0]!,
    max: v[n - 1]!,
    n,
    nanCount: values.length - n,
  };
}

const CSV_COLS = ['tp', 'fp', 'fn', 'tn'] as const;

/**
 * Per-case table as CSV, one row per (case, class): `case,class,labels,empty,<metrics…>,tp,fp,fn,tn,
 * prediction_mm3,reference_mm3`. Labels are joined with `+`; NaN is written as `NaN`; numbers with
 * full precision.
 *
 * @example
 * writeFileSync('metrics.csv', casesToCsv(cases));
 */
export function casesToCsv(cases: readonly CaseResult[]): string {
  const head = ['case', 'class', 'labels', 'empty', ...METRIC_NAMES, ...CSV_COLS, 'prediction_mm3', 'reference_mm3'];
  const rows = [head.join(',')];
  for (const c of cases) {
    for (const k of c.result.classes) {
      rows.push(
        [
          csvField(c.caseId),
          csvField(k.name),
          k.labels.join('+'),
          k.empty,
          ...METRIC_NAMES.map((m) => String(k.metrics[m])),
          ...CSV_COLS.map((x) => String(k.counts[x])),
          String(k.volumeMm3.prediction),
          String(k.volumeMm3.reference),
        ].join(','),
      );
    }
  }
  return rows.join('\n') + '\n';
}

/**
 * Aggregate table as CSV, one row per (class, metric) plus `foreground-mean` rows:
 * `class,metric,mean,std,median,min,max,n,nan_count`.
 *
 * @example
 * writeFileSync('summary.csv', aggregateToCsv(aggregateCases(cases)));
 */
export function aggregateToCsv(agg: AggregateResult): string {
  const rows = ['class,metric,mean,std,median,min,max,n,nan_count'];
  for (const c of agg.classes) {
    for (const m of METRIC_NAMES) {
      const s = c.metrics[m];
      rows.push([csvField(c.name), m, s.mean, s.std, s.median, s.min, s.max, s.n, s.nanCount].join(','));
    }
  }
  for (const m of METRIC_NAMES) rows.push(['foreground-mean', m, agg.foregroundMean[m], '', '', '', '', '', ''].join(','));
  return rows.join('\n') + '\n';
}

/**
 * JSON text of any result (cases, aggregate, statistics) with NaN and ±Infinity written as `null`,
 * which plain `JSON.stringify` does too but silently; here it is the documented contract.
 *
 * @example
 * writeFileSync('metrics.json', toJson({ cases, summary: aggregateCases(cases) }));
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    indent,
  );
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
