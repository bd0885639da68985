import { InvalidArgumentError, type Rng } from '@voxnas/core';
import { kendallTau, rankCorrelationCi, spearmanRho } from '@voxnas/metrics';
import type { Network } from '@voxnas/ops';
import { buildChild, genotypeCost, sampleRandomGenotype, type Genotype, type SearchSpace, type Supernet } from '@voxnas/supernet';

/** One architecture of a search-quality study. */
export interface ScoredArchitecture {
  /** `derived` (what the search hands over) or `random-<k>`. */
  readonly id: string;
  readonly origin: 'derived' | 'random';
  readonly genotype: Genotype;
  /** Trainable parameters of its child network. */
  readonly params: number;
  /** Score with the supernet's weights (the search's own estimate), higher is better. */
  readonly proxy: number;
  /** Score after training it alone from scratch for the study's budget, higher is better. */
  readonly standalone: number;
}

/** A correlation with its p-value and paired-bootstrap interval. */
export interface CorrelationSummary {
  readonly value: number;
  readonly pvalue: number;
  readonly lower: number;
  readonly upper: number;
}

/** What {@link evaluateSearchQuality} measured. */
export interface SearchQualityReport {
  readonly architectures: readonly ScoredArchitecture[];
  /** Kendall τ-b between proxy and stand-alone scores over all architectures. */
  readonly kendall: CorrelationSummary;
  /** Spearman ρ between them. */
  readonly spearman: CorrelationSummary;
  /** Rank (1 = best) of the derived architecture among all of them by stand-alone score. */
  readonly derivedStandaloneRank: number;
  /** Rank (1 = best) of the derived architecture by proxy score. */
  readonly derivedProxyRank: number;
  /** Number of architectures ranked (random ones + the derived one). */
  readonly count: number;
}

/** Options of {@link evaluateSearchQuality}. */
export interface SearchQualityOptions {
  /** The trained supernet (weights and α) whose ranking is evaluated. */
  readonly supernet: Supernet;
  /** Random genotypes to draw from the supernet's space (≥ 2). */
  readonly samples: number;
  /** Stream of the random genotypes and of the bootstrap. */
  readonly rng: Rng;
  /** The architecture the search hands over. Default: `supernet.deriveGenotype()`. */
  readonly derived?: Genotype;
  /** Patch shape [z, y, x] for the parameter count (any valid input). Default [8, 8, 8]·2^(levels−1). */
  readonly inputShape?: readonly [number, number, number];
  /**
   * Scores a network on the validation cases (e.g. mean Dice); called with each architecture's child
   * network carrying the supernet's weights, in eval mode. The child is disposed afterwards.
   */
  readonly proxyScore: (network: Network, architecture: { id: string; genotype: Genotype }) => Promise<number>;
  /** Trains the architecture alone from scratch and returns its validation score. */
  readonly trainStandalone: (architecture: { id: string; genotype: Genotype }) => Promise<number>;
  /** Bootstrap resamples of the correlation intervals. Default 10 000. */
  readonly resamples?: number;
  /** Called after each architecture is scored (progress). */
  readonly onArchitecture?: (a: ScoredArchitecture, index: number, count: number) => void;
}

/**
 * Measures the search phase (Yu et al., "Evaluating the search phase of neural architecture search",
 * ICLR 2020): does the supernet rank architectures like training them does? Draws `samples` random
 * genotypes from the supernet's space (the paper's random baseline: top-2 inputs per node, uniform
 * operators), adds the derived one, scores each child with the supernet's weights (`proxyScore`) and
 * after stand-alone training (`trainStandalone`), and reports Kendall τ and Spearman ρ between the two
 * rankings with paired-bootstrap 95% intervals, and where the derived architecture ranks.
 *
 * @throws InvalidArgumentError when `samples` < 2 or a score is not finite.
 * @example
 * const report = await evaluateSearchQuality({ supernet, samples: 8, rng: new Rng(1).fork('quality'),
 *   proxyScore: (net) => validator({ network: net }), trainStandalone: ({ genotype }) => train(genotype) });
 * report.kendall; // { value: 0.33, pvalue: 0.18, lower: -0.2, upper: 0.78 }
 */
export async function evaluateSearchQuality(options: SearchQualityOptions): Promise<SearchQualityReport> {
  const { supernet, samples } = options;
  if (!(Number.isInteger(samples) && samples >= 2)) {
    throw new InvalidArgumentError(`evaluateSearchQuality: samples is ${samples}, expected an integer ≥ 2`);
  }
  const space: SearchSpace = supernet.space;
  const m = 2 ** (space.macro.levels - 1);
  const [z, y, x] = options.inputShape ?? [8 * m, 8 * m, 8 * m];
  const candidates: Array<{ id: string; origin: 'derived' | 'random'; genotype: Genotype }> = [
    { id: 'derived', origin: 'derived', genotype: options.derived ?? supernet.deriveGenotype() },
  ];
  const drawRng = options.rng.fork('architectures');
  for (let k = 0; k < samples; k++) {
    candidates.push({ id: `random-${k}`, origin: 'random', genotype: sampleRandomGenotype(space, drawRng) });
  }
  const scored: ScoredArchitecture[] = [];
  for (const [i, c] of candidates.entries()) {
    const child = buildChild(space, c.genotype, { rng: options.rng.fork(`child-${c.id}`), inheritFrom: supernet });
    let proxy: number;
    try {
      child.eval();
      proxy = await options.proxyScore(child, c);
    } finally {
      child.dispose();
    }
    const standalone = await options.trainStandalone(c);
    for (const [what, v] of [['proxy', proxy], ['stand-alone', standalone]] as const) {
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`evaluateSearchQuality: ${what} score of ${c.id} is ${v}, expected a finite number`);
    }
    const params = genotypeCost(c.genotype, { inputShape: [1, z, y, x, space.macro.inputChannels] }).params;
    const a: ScoredArchitecture = { ...c, params, proxy, standalone };
    scored.push(a);
    options.onArchitecture?.(a, i, candidates.length);
  }
  const proxies = scored.map((a) => a.proxy);
  const standalones = scored.map((a) => a.standalone);
  const resamples = options.resamples ?? 10_000;
  const k = kendallTau(proxies, standalones);
  const kCi = rankCorrelationCi(proxies, standalones, { rng: options.rng.fork('kendall-ci'), resamples });
  const s = spearmanRho(proxies, standalones);
  const sCi = rankCorrelationCi(proxies, standalones, { rng: options.rng.fork('spearman-ci'), resamples, statistic: 'spearman' });
  const rank = (values: number[], v: number) => 1 + values.filter((o) => o > v).length;
  return {
    architectures: scored,
    kendall: { value: k.tau, pvalue: k.pvalue, lower: kCi.lower, upper: kCi.upper },
    spearman: { value: s.rho, pvalue: s.pvalue, lower: sCi.lower, upper: sCi.upper },
    derivedStandaloneRank: rank(standalones, scored[0]!.standalone),
    derivedProxyRank: rank(proxies, scored[0]!.proxy),
    count: scored.length,
  };
}
