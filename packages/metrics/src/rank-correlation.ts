import { InvalidArgumentError, type Rng } from '@voxnas/core';
import { erfc } from './internal/normal.js';
import { percentile } from './internal/percentile.js';
import { averageRanks } from './wilcoxon.js';

/** Kendall's τ-b of two paired samples and its two-sided p-value (as `scipy.stats.kendalltau`). */
export interface KendallResult {
  /** τ-b: (concordant − discordant) / √((pairs − x ties)(pairs − y ties)); NaN when a sample is constant. */
  readonly tau: number;
  readonly pvalue: number;
  /** `exact` (no ties and n ≤ 33, from the distribution of inversions) or `asymptotic` (normal, tie-corrected variance). */
  readonly method: 'exact' | 'asymptotic';
}

/** Spearman's ρ of two paired samples and its two-sided p-value (as `scipy.stats.spearmanr`). */
export interface SpearmanResult {
  /** Pearson correlation of the average ranks; NaN when a sample is constant. */
  readonly rho: number;
  /** From Student's t with n − 2 degrees of freedom. */
  readonly pvalue: number;
}

function checkPairs(x: readonly number[], y: readonly number[], where: string): void {
  if (x.length !== y.length) {
    throw new InvalidArgumentError(`${where}: x has ${x.length} values and y ${y.length}, expected paired samples of equal length`);
  }
  if (x.length < 2) throw new InvalidArgumentError(`${where}: expected at least 2 pairs, got ${x.length}`);
  if (x.some((v) => !Number.isFinite(v)) || y.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError(`${where}: values must be finite, got NaN or Infinity`);
  }
}

/** Tie statistics of one sample as scipy's kendalltau uses them: Σt(t−1)/2, Σt(t−1)(t−2), Σt(t−1)(2t+5). */
function tieCounts(v: readonly number[]): [number, number, number] {
  const counts = new Map<number, number>();
  for (const a of v) counts.set(a, (counts.get(a) ?? 0) + 1);
  let pairs = 0;
  let t2 = 0;
  let t5 = 0;
  for (const t of counts.values()) {
    if (t < 2) continue;
    pairs += (t * (t - 1)) / 2;
    t2 += t * (t - 1) * (t - 2);
    t5 += t * (t - 1) * (2 * t + 5);
  }
  return [pairs, t2, t5];
}

/**
 * Kendall's rank correlation τ-b with the p-value scipy computes (`method='auto'`): exact from the number
 * of permutations with at most min(D, pairs − D) inversions when there are no ties and n ≤ 33 (or that
 * minimum is ≤ 1), else from the normal approximation with the tie-corrected variance.
 *
 * @example
 * kendallTau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]); // { tau: 0.4, pvalue: 0.4833…, method: 'exact' }
 */
export function kendallTau(x: readonly number[], y: readonly number[]): KendallResult {
  checkPairs(x, y, 'kendallTau');
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
    }
  }
  const total = (n * (n - 1)) / 2;
  const [xTies, x0, x1] = tieCounts(x);
  const [yTies, y0, y1] = tieCounts(y);
  const diff = concordant - discordant;
  const tau = xTies === total || yTies === total ? Number.NaN : diff / Math.sqrt(total - xTies) / Math.sqrt(total - yTies);
  if (Number.isNaN(tau)) return { tau, pvalue: Number.NaN, method: 'asymptotic' };
  const c = Math.min(discordant, total - discordant);
  if (xTies === 0 && yTies === 0 && (n <= 33 || c <= 1)) {
    return { tau, pvalue: Math.min(1, kendallExactP(n, c, total)), method: 'exact' };
  }
  const m = n * (n - 1);
  const variance = (m * (2 * n + 5) - x1 - y1) / 18 + (2 * xTies * yTies) / m + (n > 2 ? (x0 * y0) / (9 * m * (n - 2)) : 0);
  const z = diff / Math.sqrt(variance);
  return { tau, pvalue: erfc(Math.abs(z) / Math.SQRT2), method: 'asymptotic' };
}

/** 2·P(inversions ≤ c) for a random permutation of n (Mahonian numbers), as scipy's exact Kendall test. */
function kendallExactP(n: number, c: number, total: number): number {
  if (2 * c === total) return 1;
  // counts[k] = permutations of the first m items with k inversions, built up m = 1…n, truncated at c.
  let counts = new Float64Array(c + 1);
  counts[0] = 1;
  let logFactorial = 0;
  for (let m = 2; m <= n; m++) {
    logFactorial += Math.log(m);
    const next = new Float64Array(c + 1);
    let window = 0;
    for (let k = 0; k <= c; k++) {
      window += counts[k]!;
      if (k - m >= 0) window -= counts[k - m]!;
      next[k] = window;
    }
    counts = next;
  }
  let sum = 0;
  for (let k = 0; k <= c; k++) sum += counts[k]!;
  return 2 * Math.exp(Math.log(sum) - logFactorial);
}

/**
 * Spearman's rank correlation (Pearson correlation of average ranks) with scipy's p-value from Student's t
 * with n − 2 degrees of freedom (0 when |ρ| = 1).
 *
 * @example
 * spearmanRho([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]); // { rho: 0.8, pvalue: 0.1041… }
 */
export function spearmanRho(x: readonly number[], y: readonly number[]): SpearmanResult {
  checkPairs(x, y, 'spearmanRho');
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return { rho: Number.NaN, pvalue: Number.NaN };
  const rho = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  const df = n - 2;
  if (df <= 0) return { rho, pvalue: Number.NaN };
  if (Math.abs(rho) === 1) return { rho, pvalue: 0 };
  const t = rho * Math.sqrt(df / ((rho + 1) * (1 - rho)));
  // Two-sided Student-t tail: 2·sf(|t|) = I_{df/(df+t²)}(df/2, 1/2).
  return { rho, pvalue: regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5) };
}

/**
 * The regularised incomplete beta function I_x(a, b), from its continued fraction (modified Lentz),
 * using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges faster.
 */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  let f = d;
  for (let m = 1; m < 1000; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (Math.exp(lnFront) * f) / a;
}

/** ln Γ(z) for z > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
function lgamma(z: number): number {
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lgamma(1 - z);
  const zz = z - 1;
  let s = coef[0]!;
  for (let i = 1; i < g + 2; i++) s += coef[i]! / (zz + i);
  const t = zz + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Options of {@link rankCorrelationCi}. */
export interface RankCorrelationCiOptions {
  /** Seeded generator (fork a named stream). */
  readonly rng: Rng;
  /** `'kendall'` (τ-b, default) or `'spearman'`. */
  readonly statistic?: 'kendall' | 'spearman';
  /** Bootstrap resamples of the pairs (default 10 000). */
  readonly resamples?: number;
  /** Two-sided level in (0, 1) (default 0.95). */
  readonly confidence?: number;
}

/** A rank correlation with its paired-bootstrap percentile interval. */
export interface RankCorrelationCi {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  /** Resamples whose statistic was defined (a resample of constant values has none and is left out). */
  readonly resamples: number;
}

/**
 * Percentile bootstrap interval of Kendall's τ-b or Spearman's ρ: the pairs are resampled with
 * replacement (index `⌊rng.float()·n⌋`, n per resample), the statistic recomputed, and the interval ends
 * are numpy-linear percentiles at α/2 and 1 − α/2 of the defined resample values.
 *
 * @example
 * const ci = rankCorrelationCi(proxyScores, standaloneDice, { rng: new Rng(1).fork('tau') });
 * // { estimate: 0.42, lower: -0.05, upper: 0.79, confidence: 0.95, resamples: 9987 }
 */
export function rankCorrelationCi(
  x: readonly number[],
  y: readonly number[],
  options: RankCorrelationCiOptions,
): RankCorrelationCi {
  checkPairs(x, y, 'rankCorrelationCi');
  const B = options.resamples ?? 10_000;
  const confidence = options.confidence ?? 0.95;
  const kind = options.statistic ?? 'kendall';
  if (!Number.isInteger(B) || B < 1) throw new InvalidArgumentError(`rankCorrelationCi: resamples must be a positive integer, got ${B}`);
  if (!(confidence > 0 && confidence < 1)) throw new InvalidArgumentError(`rankCorrelationCi: confidence must be in (0, 1), got ${confidence}`);
  if (kind !== 'kendall' && kind !== 'spearman') {
    throw new InvalidArgumentError(`rankCorrelationCi: statistic must be 'kendall' or 'spearman', got '${String(kind)}'`);
  }
  const stat = (a: number[], b: number[]): number => {
    if (new Set(a).size < 2 || new Set(b).size < 2) return Number.NaN;
    return kind === 'kendall' ? kendallTau(a, b).tau : spearmanRho(a, b).rho;
  };
  const n = x.length;
  const values: number[] = [];
  const a = new Array<number>(n);
  const b = new Array<number>(n);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(options.rng.float() * n);
      a[i] = x[k]!;
      b[i] = y[k]!;
    }
    const v = stat(a, b);
    if (!Number.isNaN(v)) values.push(v);
  }
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - confidence) / 2;
  return {
    estimate: stat([...x], [...y]),
    lower: sorted.length ? percentile(sorted, 100 * alpha) : Number.NaN,
    upper: sorted.length ? percentile(sorted, 100 * (1 - alpha)) : Number.NaN,
    confidence,
    resamples: sorted.length,
  };
}
