import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { normalCdf, normalSf } from './internal/normal.js';

/** Options of {@link wilcoxonSignedRank}; the defaults are scipy.stats.wilcoxon's. */
export interface WilcoxonOptions {
  /**
   * Zero differences: `'wilcox'` (default) drops them; `'pratt'` ranks them, then drops their ranks;
   * `'zsplit'` splits their ranks between the positive and negative sums.
   */
  zeroMethod?: 'wilcox' | 'pratt' | 'zsplit';
  /** Continuity correction of the normal approximation (default false). */
  correction?: boolean;
  /** `'two-sided'` (default), `'greater'` (x − y tends to be positive) or `'less'`. */
  alternative?: 'two-sided' | 'greater' | 'less';
  /**
   * `'auto'` (default): exact when n ≤ 50 (n counted before dropping zeros) and there are neither
   * zeros nor tied |differences|; otherwise the normal approximation with tie correction. `'exact'`
   * falls back to the approximation when there are zeros (as scipy does).
   */
  method?: 'auto' | 'exact' | 'approx';
}

/** Result of {@link wilcoxonSignedRank}. */
export interface WilcoxonResult {
  /** min(R+, R−) for a two-sided test, R+ otherwise (scipy's convention). */
  statistic: number;
  pvalue: number;
  /** The method used after `'auto'` resolution. */
  method: 'exact' | 'approx';
  /** The z statistic of the normal approximation (NaN when exact). */
  z: number;
  /** Number of differences ranked (zeros dropped by `'wilcox'`). */
  n: number;
}

/**
 * Paired Wilcoxon signed-rank test of `x − y` (or of `x` alone when `y` is omitted) against a
 * distribution symmetric about 0, with scipy 1.10's `scipy.stats.wilcoxon` defaults:
 * `zero_method='wilcox'`, `correction=False`, `alternative='two-sided'`, `method='auto'`.
 *
 * One deliberate difference: when |differences| are tied, scipy 1.10 still uses the exact null
 * distribution with a truncated rank sum; here `'auto'` then uses the normal approximation with
 * the tie correction (what scipy gives for `method='approx'`). Without ties and zeros, and whenever
 * the approximation is used, the p-values equal scipy's.
 *
 * @example
 * const searched = [0.81, 0.77, 0.9, 0.85, 0.79, 0.88];
 * const unet = [0.78, 0.75, 0.86, 0.86, 0.74, 0.83];
 * wilcoxonSignedRank(searched, unet).pvalue; // 0.0625 (exact, n = 6)
 */
export function wilcoxonSignedRank(
  x: readonly number[],
  y?: readonly number[],
  options: WilcoxonOptions = {},
): WilcoxonResult {
  const zeroMethod = options.zeroMethod ?? 'wilcox';
  const alternative = options.alternative ?? 'two-sided';
  const correction = options.correction ?? false;
  let method = options.method ?? 'auto';
  if (!['wilcox', 'pratt', 'zsplit'].includes(zeroMethod)) {
    throw new InvalidArgumentError(`wilcoxonSignedRank: zeroMethod must be 'wilcox', 'pratt' or 'zsplit', got '${zeroMethod}'`);
  }
  if (!['two-sided', 'greater', 'less'].includes(alternative)) {
    throw new InvalidArgumentError(
      `wilcoxonSignedRank: alternative must be 'two-sided', 'greater' or 'less', got '${alternative}'`,
    );
  }
  if (!['auto', 'exact', 'approx'].includes(method)) {
    throw new InvalidArgumentError(`wilcoxonSignedRank: method must be 'auto', 'exact' or 'approx', got '${method}'`);
  }
  if (y !== undefined && y.length !== x.length) {
    throw new ShapeMismatchError(
      `wilcoxonSignedRank: x has ${x.length} and y ${y.length} values, expected paired samples of equal length`,
    );
  }
  let d = y === undefined ? x.slice() : x.map((v, i) => v - y[i]!);
  if (d.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError('wilcoxonSignedRank: differences must be finite numbers, got NaN or Infinity');
  }
  if (d.length === 0) throw new InvalidArgumentError('wilcoxonSignedRank: expected at least one pair, got 0');
  const nZero = d.filter((v) => v === 0).length;
  if (method === 'auto') method = d.length <= 50 && nZero === 0 && !hasTies(d.map(Math.abs)) ? 'exact' : 'approx';
  if (nZero > 0 && method === 'exact') method = 'approx';
  if (method === 'approx') {
    if (zeroMethod !== 'zsplit' && nZero === d.length) {
      throw new InvalidArgumentError(
        `wilcoxonSignedRank: every difference is zero, so zeroMethod '${zeroMethod}' leaves nothing to rank; expected at least one non-zero difference`,
      );
    }
    if (zeroMethod === 'wilcox') d = d.filter((v) => v !== 0);
  }
  const count = d.length;
  const r = averageRanks(d.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  let rZero = 0;
  for (let i = 0; i < count; i++) {
    if (d[i]! > 0) rPlus += r[i]!;
    else if (d[i]! < 0) rMinus += r[i]!;
    else rZero += r[i]!;
  }
  if (zeroMethod === 'zsplit') {
    rPlus += rZero / 2;
    rMinus += rZero / 2;
  }
  const T = alternative === 'two-sided' ? Math.min(rPlus, rMinus) : rPlus;
  if (method === 'approx') {
    let mn = (count * (count + 1)) / 4;
    let se = count * (count + 1) * (2 * count + 1);
    let ranks = r;
    if (zeroMethod === 'pratt') {
      ranks = r.filter((_, i) => d[i] !== 0);
      mn -= (nZero * (nZero + 1)) / 4;
      se -= nZero * (nZero + 1) * (2 * nZero + 1);
    }
    for (const t of tieCounts(ranks)) se -= 0.5 * t * (t * t - 1);
    se = Math.sqrt(se / 24);
    let cc = 0;
    if (correction) cc = alternative === 'two-sided' ? 0.5 * Math.sign(T - mn) : alternative === 'less' ? -0.5 : 0.5;
    const z = (T - mn - cc) / se;
    const p =
      alternative === 'two-sided' ? 2 * normalSf(Math.abs(z)) : alternative === 'greater' ? normalSf(z) : normalCdf(z);
    return { statistic: T, pvalue: Math.min(1, p), method, z, n: count };
  }
  const pmf = signedRankPmf(count);
  const rp = Math.floor(rPlus); // scipy: int(r_plus) (an integer unless ties were forced exact)
  const cumLess = () => pmf.slice(0, rp + 1).reduce((s, v) => s + v, 0);
  const cumGreater = () => pmf.slice(rp).reduce((s, v) => s + v, 0);
  let p: number;
  if (alternative === 'two-sided') {
    p = rp === Math.floor((pmf.length - 1) / 2) ? 1 : 2 * Math.min(cumGreater(), cumLess());
  } else if (alternative === 'greater') p = cumGreater();
  else p = cumLess();
  return { statistic: T, pvalue: Math.min(1, Math.max(0, p)), method, z: Number.NaN, n: count };
}

/** Exact null distribution of R+ for n untied, non-zero ranks: pmf over 0 … n(n+1)/2. */
export function signedRankPmf(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--) counts[s]! += counts[s - k]!;
  }
  const total = 2 ** n;
  for (let s = 0; s <= max; s++) counts[s]! /= total;
  return counts;
}

/** Average ranks (1-based) of `v`, ties sharing the mean rank (scipy.stats.rankdata 'average'). */
export function averageRanks(v: readonly number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const ranks = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = avg;
    i = j + 1;
  }
  return ranks;
}

function tieCounts(v: readonly number[]): number[] {
  const m = new Map<number, number>();
  for (const x of v) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.values()].filter((c) => c > 1);
}

function hasTies(v: readonly number[]): boolean {
  return new Set(v).size !== v.length;
}
