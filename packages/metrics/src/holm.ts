import { InvalidArgumentError } from '@voxnas/core';

/**
 * Holm's step-down adjustment of p-values for multiple comparisons (Holm 1979; statsmodels'
 * `multipletests(method='holm')`): with the m finite p-values sorted ascending, the k-th (0-based) is
 * multiplied by m − k, the running maximum is taken so adjusted values never decrease, and values are
 * capped at 1. Controls the family-wise error rate under any dependence between the tests. Non-finite
 * entries (a test that could not run) stay NaN and do not count in m. Returns the adjusted p-values in
 * the input order.
 *
 * @throws InvalidArgumentError when a finite p-value is outside [0, 1].
 * @example
 * holmAdjust([0.01, 0.04, 0.03, 0.005]); // [0.03, 0.06, 0.06, 0.02]
 */
export function holmAdjust(pvalues: readonly number[]): number[] {
  const bad = pvalues.findIndex((p) => Number.isFinite(p) && (p < 0 || p > 1));
  if (bad >= 0) throw new InvalidArgumentError(`holmAdjust: p-value ${bad} is ${pvalues[bad]}, expected a number in [0, 1]`);
  const order = pvalues
    .map((p, i) => [p, i] as const)
    .filter(([p]) => Number.isFinite(p))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const m = order.length;
  const out = pvalues.map(() => Number.NaN);
  let running = 0;
  order.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
