import { InvalidArgumentError, ShapeMismatchError, type Rng } from '@voxnas/core';
import { bootstrapCi, type ConfidenceInterval } from './bootstrap.js';
import { wilcoxonSignedRank, type WilcoxonOptions, type WilcoxonResult } from './wilcoxon.js';

/** Result of {@link aggregateSeeds}. */
export interface SeedAggregate {
  /** Per case, the mean over seeds (NaN values of a seed are skipped; NaN if every seed is NaN). */
  perCase: number[];
  /** Per seed, the mean over its non-NaN cases. */
  perSeedMean: number[];
  /** Mean of `perSeedMean`. */
  mean: number;
  /** Sample std (n − 1) of `perSeedMean`: how much the result moves with the training seed. */
  seedStd: number;
  seeds: number;
  cases: number;
}

/**
 * Aggregates one method's scores over training seeds. `runs[s][c]` is the score of the model trained
 * with seed `s` on test case `c` (every seed scores the same cases, in the same order).
 *
 * @example
 * const agg = aggregateSeeds([[0.8, 0.7, 0.9], [0.82, 0.69, 0.88]]);
 * agg.perCase; // [0.81, 0.695, 0.89]
 */
export function aggregateSeeds(runs: readonly (readonly number[])[]): SeedAggregate {
  if (runs.length === 0) throw new InvalidArgumentError('aggregateSeeds: expected at least one seed, got 0');
  const cases = runs[0]!.length;
  runs.forEach((r, s) => {
    if (r.length !== cases) {
      throw new ShapeMismatchError(
        `aggregateSeeds: seed ${s} has ${r.length} cases, seed 0 has ${cases}; expected every seed to score the same cases`,
      );
    }
  });
  const meanOf = (v: readonly number[]) => {
    const f = v.filter((x) => !Number.isNaN(x));
    return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
  };
  const perCase = Array.from({ length: cases }, (_, c) => meanOf(runs.map((r) => r[c]!)));
  const perSeedMean = runs.map(meanOf);
  const mean = meanOf(perSeedMean);
  const seedStd =
    perSeedMean.length > 1
      ? Math.sqrt(perSeedMean.reduce((s, x) => s + (x - mean) ** 2, 0) / (perSeedMean.length - 1))
      : Number.NaN;
  return { perCase, perSeedMean, mean, seedStd, seeds: runs.length, cases };
}

/** Options of {@link compareMethods}. */
export interface CompareOptions {
  /** Seeded generator for the bootstrap. */
  rng: Rng;
  /** Names used in the statement (default `['A', 'B']`). */
  names?: readonly [string, string];
  /** Metric name used in the statement (default `'score'`). */
  metric?: string;
  /** Confidence level of the interval (default 0.95). */
  confidence?: number;
  /** Bootstrap resamples (default 10 000). */
  resamples?: number;
  /** Options of the Wilcoxon test (default: scipy's). */
  wilcoxon?: WilcoxonOptions;
}

/** Result of {@link compareMethods}. */
export interface Comparison {
  a: SeedAggregate;
  b: SeedAggregate;
  /** Per case (dropped cases removed): mean-over-seeds of A minus that of B. */
  differences: number[];
  /** Indices of cases dropped because one method's per-case score is NaN. */
  droppedCases: number[];
  meanDifference: number;
  /** BCa bootstrap interval of the mean difference over cases. */
  ci: ConfidenceInterval;
  /** Paired Wilcoxon signed-rank test of the per-case differences. */
  wilcoxon: WilcoxonResult;
  /** One line: "A − B = +0.021 dice (95% CI [0.008, 0.034]; Wilcoxon p = 0.0031; n = 20 cases; seeds 3 vs 3)". */
  statement: string;
}

/**
 * Compares two methods evaluated on the same test cases, each trained with one or more seeds
 * (`a[s][c]`, `b[s][c]`). Each method's scores are first averaged over its seeds per case
 * ({@link aggregateSeeds}); the paired per-case differences A − B then give the mean difference, its
 * bootstrap CI over cases and a Wilcoxon signed-rank p-value — so "searched net vs 3D U-Net" is a
 * statement with an interval and a p-value. Seed-to-seed spread is reported as `a.seedStd`.
 *
 * @example
 * const cmp = compareMethods(searchedDice, unetDice, {
 *   rng: new Rng(0).fork('compare'), names: ['searched', 'U-Net'], metric: 'Dice',
 * });
 * console.log(cmp.statement);
 */
export function compareMethods(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  options: CompareOptions,
): Comparison {
  const A = aggregateSeeds(a);
  const B = aggregateSeeds(b);
  if (A.cases !== B.cases) {
    throw new ShapeMismatchError(
      `compareMethods: method A scores ${A.cases} cases and method B ${B.cases}; expected the same test cases`,
    );
  }
  const differences: number[] = [];
  const droppedCases: number[] = [];
  for (let c = 0; c < A.cases; c++) {
    const d = A.perCase[c]! - B.perCase[c]!;
    if (Number.isNaN(d)) droppedCases.push(c);
    else differences.push(d);
  }
  if (differences.length < 2) {
    throw new InvalidArgumentError(
      `compareMethods: only ${differences.length} case(s) have scores for both methods, expected at least 2`,
    );
  }
  const meanDifference = differences.reduce((s, x) => s + x, 0) / differences.length;
  const ci = bootstrapCi(differences, {
    rng: options.rng,
    resamples: options.resamples,
    confidence: options.confidence,
  });
  const wilcoxon = differences.every((d) => d === 0)
    ? { statistic: 0, pvalue: 1, method: 'exact' as const, z: Number.NaN, n: 0 }
    : wilcoxonSignedRank(differences, undefined, options.wilcoxon);
  const [na, nb] = options.names ?? ['A', 'B'];
  const f = (x: number) => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(3) : x.toPrecision(2));
  const p = wilcoxon.pvalue < 1e-4 ? wilcoxon.pvalue.toExponential(1) : wilcoxon.pvalue.toPrecision(2);
  const statement =
    `${na} − ${nb} = ${meanDifference >= 0 ? '+' : ''}${f(meanDifference)} ${options.metric ?? 'score'} ` +
    `(${Math.round(ci.confidence * 100)}% CI [${f(ci.lower)}, ${f(ci.upper)}]; Wilcoxon p = ${p}; ` +
    `n = ${differences.length} cases; seeds ${A.seeds} vs ${B.seeds})`;
  return { a: A, b: B, differences, droppedCases, meanDifference, ci, wilcoxon, statement };
}
