import type { Genotype } from '../genotype.js';
import { cellEdges, ZERO_OPERATOR, type EdgeSpec } from '../search-space.js';

/**
 * The edges of a genotype's child network: every edge of its macro with one candidate, the genotype's
 * choice (so candidate index 0 is the chosen operator). Shared by the child builder and the cost model.
 */
export function genotypeEdges(genotype: Genotype): EdgeSpec[] {
  return cellEdges(genotype.macro, { 'encoder-normal': [], reduction: [], 'decoder-normal': [], expansion: [] }).map((e) => ({
    ...e,
    candidates: [genotype.choices[e.label]!],
  }));
}

/** Which candidates a child builds on an edge of {@link genotypeEdges}: the choice, or none for `zero`. */
export function childOperators(edge: EdgeSpec): readonly number[] {
  return edge.candidates[0] === ZERO_OPERATOR ? [] : [0];
}
