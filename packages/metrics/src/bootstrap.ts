import { InvalidArgumentError, type Rng } from '@voxnas/core';
import { normalCdf, normalPpf } from './internal/normal.js';
import { percentile } from './internal/percentile.js';

/** A statistic of a sample: `'mean'`, `'median'`, or a function of the (resampled) values. */
export type Statistic = 'mean' | 'median' | ((sample: Float64Array) => number);

/** Options of {@link bootstrapCi}. */
export interface BootstrapOptions {
  /** Seeded generator (fork a named stream, e.g. `root.fork('bootstrap')`). */
  rng: Rng;
  /** Number of bootstrap resamples (default 10 000). */
  resamples?: number;
  /** Two-sided confidence level in (0, 1) (default 0.95). */
  confidence?: number;
  /** Statistic (default `'mean'`). */
  statistic?: Statistic;
  /**
   * `'bca'` (default, as scipy.stats.bootstrap): bias-corrected and accelerated percentile interval
   * (Efron 1987; acceleration from the jackknife). `'percentile'`: the plain percentile interval.
   */
  method?: 'bca' | 'percentile';
}

/** A bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** The statistic on the original sample. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
  method: 'bca' | 'percentile';
}

/**
 * Bootstrap confidence interval of a statistic of one sample (resampling with replacement, seeded).
 * Interval ends are numpy-linear percentiles of the bootstrap distribution at α/2 and 1 − α/2
 * (`'percentile'`) or at the BCa-adjusted levels (`'bca'`). Same `rng` state ⇒ same interval.
 *
 * @example
 * const dice = [0.81, 0.77, 0.9, 0.85, 0.79, 0.88, 0.84];
 * const ci = bootstrapCi(dice, { rng: new Rng(1).fork('bootstrap') });
 * // { estimate: 0.834…, lower: ≈0.80, upper: ≈0.86, confidence: 0.95, … }
 */
export function bootstrapCi(values: readonly number[], options: BootstrapOptions): ConfidenceInterval {
  const B = options.resamples ?? 10_000;
  const confidence = options.confidence ?? 0.95;
  const method = options.method ?? 'bca';
  if (!Number.isInteger(B) || B < 1) {
    throw new InvalidArgumentError(`bootstrapCi: resamples must be a positive integer, got ${B}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new InvalidArgumentError(`bootstrapCi: confidence must be in (0, 1), got ${confidence}`);
  }
  if (method !== 'bca' && method !== 'percentile') {
    throw new InvalidArgumentError(`bootstrapCi: method must be 'bca' or 'percentile', got '${String(method)}'`);
  }
  const n = values.length;
  if (n < 2) throw new InvalidArgumentError(`bootstrapCi: expected at least 2 values, got ${n}`);
  if (values.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError('bootstrapCi: values must be finite (drop NaN cases first), got NaN or Infinity');
  }
  const stat = statisticFn(options.statistic ?? 'mean');
  const x = Float64Array.from(values);
  const estimate = stat(x);
  const boot = new Float64Array(B);
  const sample = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) sample[i] = x[Math.floor(options.rng.float() * n)]!;
    boot[b] = stat(sample);
  }
  const alpha = (1 - confidence) / 2;
  let qLo = alpha;
  let qHi = 1 - alpha;
  if (method === 'bca') {
    let below = 0;
    for (let b = 0; b < B; b++) if (boot[b]! < estimate) below++;
    const z0 = normalPpf(below / B);
    const jack = new Float64Array(n);
    const loo = new Float64Array(n - 1);
    for (let i = 0; i < n; i++) {
      for (let j = 0, k = 0; j < n; j++) if (j !== i) loo[k++] = x[j]!;
      jack[i] = stat(loo);
    }
    const jm = jack.reduce((s, v) => s + v, 0) / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const d = jm - jack[i]!;
      num += d * d * d;
      den += d * d;
    }
    const a = den === 0 ? 0 : num / (6 * den ** 1.5);
    if (Number.isFinite(z0)) {
      const adj = (zq: number) => normalCdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)));
      qLo = adj(normalPpf(alpha));
      qHi = adj(normalPpf(1 - alpha));
    }
    // z0 = ±∞ (every resample on one side): the bootstrap distribution is degenerate; fall back to
    // the percentile interval, which is then [estimate, estimate] or the observed range.
  }
  return {
    estimate,
    lower: percentile(boot, 100 * qLo),
    upper: percentile(boot, 100 * qHi),
    confidence,
    resamples: B,
    method,
  };
}

function statisticFn(s: Statistic): (x: Float64Array) => number {
  if (typeof s === 'function') return s;
  if (s === 'mean') return (x) => x.reduce((a, b) => a + b, 0) / x.length;
  if (s === 'median') return (x) => percentile(x, 50);
  throw new InvalidArgumentError(`bootstrapCi: statistic must be 'mean', 'median' or a function, got '${String(s)}'`);
}
