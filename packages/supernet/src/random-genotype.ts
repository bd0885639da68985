import { InvalidArgumentError, type Rng } from '@voxnas/core';
import { GENOTYPE_SCHEMA, validateGenotype, type Genotype } from './genotype.js';
import { ZERO_OPERATOR, type EdgeSpec, type SearchSpace } from './search-space.js';

/** Options of {@link sampleRandomGenotype}. */
export interface RandomGenotypeOptions {
  /** Incoming edges per node (drawn without replacement); default 2, like {@link deriveGenotype}. */
  topK?: number;
}

/**
 * The paper's random-architecture baseline: for every node of every cell type, `topK` distinct incoming
 * edges drawn uniformly, each with a uniformly drawn non-`zero` candidate; every other edge is `zero`.
 * Derived genotypes and random ones therefore have the same number of edges.
 *
 * @throws InvalidArgumentError when `topK` is not a positive integer.
 * @example
 * const random = sampleRandomGenotype(space, new Rng(7).fork('random-arch'));
 */
export function sampleRandomGenotype(space: SearchSpace, rng: Rng, options: RandomGenotypeOptions = {}): Genotype {
  const topK = options.topK ?? 2;
  if (!Number.isInteger(topK) || topK < 1) {
    throw new InvalidArgumentError(`sampleRandomGenotype: topK must be a positive integer, got ${topK}`);
  }
  const byNode = new Map<string, EdgeSpec[]>();
  for (const edge of space.edges) {
    const key = `${edge.cell}.${edge.to}`;
    byNode.set(key, [...(byNode.get(key) ?? []), edge]);
  }
  const choices: Record<string, string> = {};
  for (const edge of space.edges) choices[edge.label] = ZERO_OPERATOR;
  for (const incoming of byNode.values()) {
    for (const edge of rng.shuffle(incoming).slice(0, topK)) {
      const real = edge.candidates.filter((c) => c !== ZERO_OPERATOR);
      choices[edge.label] = real[rng.int(0, real.length)]!;
    }
  }
  return validateGenotype(
    { schema: GENOTYPE_SCHEMA, macro: space.macro, choices, meta: { derivedBy: 'sampleRandomGenotype', topK } },
    { space, source: 'sampleRandomGenotype' },
  );
}
