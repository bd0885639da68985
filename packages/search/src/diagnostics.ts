import { operatorCost } from '@voxnas/ops';
import type { AlphaValues, SearchSpace } from '@voxnas/supernet';
import { InvalidArgumentError, normalizedEntropy, softmax } from '@voxnas/core';

/** Architecture statistics of one edge label. */
export interface EdgeStats {
  readonly label: string;
  readonly candidates: readonly string[];
  /** softmax(α), ordered like `candidates`. */
  readonly probs: readonly number[];
  /** Entropy of `probs` divided by log(K): 1 = uniform, 0 = one-hot. */
  readonly entropy: number;
  /** Most probable candidate. */
  readonly argmax: string;
}

/** A search-health warning: a stable code, a sentence, and the step it was raised at. */
export interface HealthWarning {
  readonly code: 'parameter-free-dominance' | 'entropy-flat' | 'entropy-collapsed' | 'alpha-near-uniform';
  readonly step: number;
  readonly message: string;
}

/**
 * softmax(α), normalised entropy and argmax of every edge label of `space` (one entry per label, in
 * the order of `space.edges`).
 *
 * @example
 * const stats = alphaStats(space, supernet.alphaValues());
 * stats[0]; // { label: 'encoder-normal.in0->n0', probs: [...], entropy: 0.93, argmax: 'conv-3x3x3' }
 */
export function alphaStats(space: SearchSpace, alphas: AlphaValues): EdgeStats[] {
  const out: EdgeStats[] = [];
  for (const edge of space.edges) {
    const a = alphas[edge.label];
    if (a === undefined) throw new InvalidArgumentError(`alphaStats: alphas["${edge.label}"] is missing`);
    const values = 'dataSync' in a && typeof a.dataSync === 'function' ? a.dataSync() : (a as ArrayLike<number>);
    if (values.length !== edge.candidates.length) {
      throw new InvalidArgumentError(
        `alphaStats: alphas["${edge.label}"] has ${values.length} values, expected ${edge.candidates.length}`,
      );
    }
    const probs = softmax(values);
    const k = probs.length;
    let best = 0;
    for (let i = 1; i < k; i++) if (probs[i]! > probs[best]!) best = i;
    out.push({
      label: edge.label,
      candidates: edge.candidates,
      probs,
      entropy: normalizedEntropy(probs),
      argmax: edge.candidates[best]!,
    });
  }
  return out;
}

/**
 * Which candidates of `space` have no parameters (identity, zero, pooling…), decided by the operator
 * registry's cost model rather than by name, so a user's parameter-free operator counts too.
 */
export function parameterFreeOperators(space: SearchSpace): Set<string> {
  const names = new Set(space.edges.flatMap((e) => e.candidates));
  const c = space.macro.baseChannels;
  const free = new Set<string>();
  for (const name of names) {
    const cost = operatorCost(name, { inputShape: [1, 8, 8, 8, c], channelsOut: c });
    if (cost.params === 0) free.add(name);
  }
  return free;
}

/** Options of {@link detectCollapse}. */
export interface CollapseOptions {
  /** Mean probability mass of parameter-free candidates above which search is said to collapse. Default 0.6. */
  readonly parameterFreeMass?: number;
  /** Entries of history compared for the flat-entropy check. Default 3. */
  readonly window?: number;
  /** Smallest mean-entropy change over `window` entries that counts as learning. Default 0.005. */
  readonly minEntropyChange?: number;
  /** Mean entropy under which the architecture is considered decided. Default 0.05. */
  readonly collapsedEntropy?: number;
  /** Total search steps and weight-only warm-up steps: enable the late near-uniform check. */
  readonly totalSteps?: number;
  readonly warmupSteps?: number;
  /** Mean entropy above which α counts as still near uniform. Default 0.95. */
  readonly uniformEntropy?: number;
  /** Fraction of the architecture phase (after warm-up) from which near-uniform α is flagged. Default 0.5. */
  readonly lateFraction?: number;
}

/**
 * Search-health check over the logged history of {@link alphaStats} (one entry per epoch or log step):
 * - `parameter-free-dominance`: parameter-free candidates (identity, zero, pooling) hold more than
 *   `parameterFreeMass` of the probability on average — the known DARTS failure where skips win
 *   because they train fastest, not because they are best.
 * - `entropy-flat`: the mean entropy moved by less than `minEntropyChange` over the last `window`
 *   entries while still above 0.5 — α is not learning (learning rate too low, or τ too high).
 * - `entropy-collapsed`: the mean entropy fell under `collapsedEntropy` before half of the history —
 *   α decided very early (learning rate too high, τ too low), usually a premature choice.
 * - `alpha-near-uniform` (when `totalSteps` is given): in the second half of the architecture phase the
 *   mean entropy is still above `uniformEntropy` — α has barely moved, so the derived genotype is chosen
 *   by noise, whatever the entropy trend.
 *
 * @example
 * const warnings = detectCollapse(history, parameterFreeOperators(space));
 */
export function detectCollapse(
  history: ReadonlyArray<{ readonly step: number; readonly stats: readonly EdgeStats[] }>,
  parameterFree: ReadonlySet<string>,
  options: CollapseOptions = {},
): HealthWarning[] {
  const massLimit = options.parameterFreeMass ?? 0.6;
  const window = options.window ?? 3;
  const minChange = options.minEntropyChange ?? 0.005;
  const collapsed = options.collapsedEntropy ?? 0.05;
  const warnings: HealthWarning[] = [];
  const last = history[history.length - 1];
  if (!last) return warnings;
  const meanEntropy = (stats: readonly EdgeStats[]) => stats.reduce((a, s) => a + s.entropy, 0) / Math.max(1, stats.length);
  const freeMass =
    last.stats.reduce(
      (acc, s) => acc + s.candidates.reduce((a, c, i) => (parameterFree.has(c) ? a + s.probs[i]! : a), 0),
      0,
    ) / Math.max(1, last.stats.length);
  if (freeMass > massLimit) {
    warnings.push({
      code: 'parameter-free-dominance',
      step: last.step,
      message: `parameter-free operators (${[...parameterFree].sort().join(', ')}) hold ${(freeMass * 100).toFixed(1)}% of the architecture probability (limit ${(massLimit * 100).toFixed(0)}%): the search may be collapsing onto skips; consider a longer weight warm-up or a lower architecture learning rate`,
    });
  }
  if (history.length >= window) {
    const recent = history.slice(-window).map((h) => meanEntropy(h.stats));
    const change = Math.max(...recent) - Math.min(...recent);
    const current = recent[recent.length - 1]!;
    if (change < minChange && current > 0.5) {
      warnings.push({
        code: 'entropy-flat',
        step: last.step,
        message: `mean edge entropy stayed at ${current.toFixed(3)} (change ${change.toExponential(2)} over ${window} log entries): the architecture parameters are not learning; raise the architecture learning rate or lower the temperature`,
      });
    }
  }
  if (options.totalSteps !== undefined) {
    const warmup = options.warmupSteps ?? 0;
    const late = warmup + (options.lateFraction ?? 0.5) * (options.totalSteps - warmup);
    const current = meanEntropy(last.stats);
    const limit = options.uniformEntropy ?? 0.95;
    if (last.step + 1 >= late && current > limit) {
      const top = last.stats.reduce((a, s) => a + Math.max(...s.probs), 0) / Math.max(1, last.stats.length);
      const k = last.stats[0]?.probs.length ?? 1;
      warnings.push({
        code: 'alpha-near-uniform',
        step: last.step,
        message: `α is still near uniform at step ${last.step + 1} of ${options.totalSteps}: mean edge entropy ${current.toFixed(3)} (limit ${limit}), mean top probability ${top.toFixed(3)} against ${(1 / k).toFixed(3)} for uniform — the derived genotype is close to a random draw; raise search.archLr (e.g. ×10), lower search.tauStart, or search for more steps`,
      });
    }
  }
  const half = history.slice(0, Math.ceil(history.length / 2));
  const early = half.find((h) => meanEntropy(h.stats) < collapsed);
  if (early && history.length >= 4) {
    warnings.push({
      code: 'entropy-collapsed',
      step: early.step,
      message: `mean edge entropy fell below ${collapsed} at step ${early.step}, in the first half of the search: the architecture was decided early; lower the architecture learning rate or raise the temperature`,
    });
  }
  return warnings;
}
