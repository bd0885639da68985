import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, softmax } from '@voxnas/core';
import { GENOTYPE_SCHEMA, validateGenotype, type Genotype } from './genotype.js';
import { ZERO_OPERATOR, type EdgeSpec, type SearchSpace } from './search-space.js';

/** Architecture logits per edge label: plain numbers or 1-D tensors, ordered like `edge.candidates`. */
export type AlphaValues = Readonly<Record<string, ArrayLike<number> | tf.Tensor>>;

/** The operator rules of {@link deriveGenotype}: per edge (DARTS) or one per cell type. */
export const DERIVE_OPERATORS = ['edge', 'cell'] as const;
/** One of {@link DERIVE_OPERATORS}. */
export type DeriveOperators = (typeof DERIVE_OPERATORS)[number];

/** Options of {@link deriveGenotype}. */
export interface DeriveGenotypeOptions {
  /**
   * Incoming edges kept per node (DARTS / NAS-Unet use 2): each edge's strength is the softmax
   * probability of its best non-`zero` candidate, the `topK` strongest edges keep that candidate and the
   * others become `zero`. `null` takes each edge's argmax, `zero` included (pure α connectivity).
   * Default 2.
   */
  topK?: number | null;
  /**
   * How each kept edge's operator is chosen. `edge` (DARTS, the default): the edge's own most probable
   * non-`zero` candidate. `cell`: one operator per cell type, the non-`zero` candidate whose probability
   * summed over that cell type's edges is largest, on every kept edge of the type. The kept edges are the
   * same under both (the edge strengths do not change), so the two genotypes differ only in operators. A
   * search whose α leans the same way on most edges without winning each of them hands that lean over
   * whole instead of on a minority of edges.
   */
  operators?: DeriveOperators;
  /** Extra JSON stored as the genotype's `meta` (merged over `{ derivedBy: 'deriveGenotype', topK }`). */
  meta?: Genotype['meta'];
}

function readAlpha(alphas: AlphaValues, edge: EdgeSpec): number[] {
  const a = alphas[edge.label];
  if (a === undefined) {
    throw new InvalidArgumentError(`deriveGenotype: alphas["${edge.label}"] is missing, expected ${edge.candidates.length} logits`);
  }
  const values = Array.from('dataSync' in a && typeof a.dataSync === 'function' ? a.dataSync() : (a as ArrayLike<number>));
  if (values.length !== edge.candidates.length || !values.every(Number.isFinite)) {
    throw new InvalidArgumentError(
      `deriveGenotype: alphas["${edge.label}"] has ${values.length} value(s) [${values.slice(0, 8).join(', ')}], expected ${edge.candidates.length} finite logits (${edge.candidates.join(', ')})`,
    );
  }
  return values;
}

/** Indices of an edge's non-`zero` candidates. */
const nonZero = (edge: EdgeSpec): number[] => edge.candidates.flatMap((c, i) => (c === ZERO_OPERATOR ? [] : [i]));

/** Index of the largest value among `indices` (the first on ties). */
function argmaxOf(values: readonly number[], indices: Iterable<number>): number {
  let best = -1;
  for (const i of indices) if (best < 0 || values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Derives a discrete genotype from the architecture logits α: per edge, the most probable non-`zero`
 * candidate (or, with `operators: 'cell'`, its cell type's most probable one); per node, the `topK`
 * strongest incoming edges (others `zero`). Ties go to the earlier candidate / edge, so the result is
 * deterministic.
 *
 * @throws InvalidArgumentError when a label is missing from `alphas`, has the wrong length or a
 *   non-finite value, `topK` is not a positive integer or null, or `operators` is not `edge` or `cell`.
 * @example
 * const genotype = deriveGenotype(space, supernet.alphaValues(), { topK: 2 });
 * const shared = deriveGenotype(space, supernet.alphaValues(), { operators: 'cell' });
 */
export function deriveGenotype(space: SearchSpace, alphas: AlphaValues, options: DeriveGenotypeOptions = {}): Genotype {
  const topK = options.topK === undefined ? 2 : options.topK;
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) {
    throw new InvalidArgumentError(`deriveGenotype: topK must be a positive integer or null, got ${topK}`);
  }
  const operators = options.operators ?? 'edge';
  if (!(DERIVE_OPERATORS as readonly string[]).includes(operators)) {
    throw new InvalidArgumentError(`deriveGenotype: operators must be one of ${DERIVE_OPERATORS.join(', ')}, got ${String(operators)}`);
  }
  const probs = new Map(space.edges.map((edge) => [edge.label, softmax(readAlpha(alphas, edge))]));
  // operators: 'cell' — each cell type's non-zero candidate with the largest probability mass over its edges
  const cellOperator = new Map<string, string>();
  if (operators === 'cell') {
    const mass = new Map<string, number[]>();
    for (const edge of space.edges) {
      const sum = mass.get(edge.cell) ?? new Array<number>(edge.candidates.length).fill(0);
      probs.get(edge.label)!.forEach((v, i) => (sum[i]! += v));
      mass.set(edge.cell, sum);
    }
    for (const edge of space.edges) {
      if (cellOperator.has(edge.cell)) continue;
      cellOperator.set(edge.cell, edge.candidates[argmaxOf(mass.get(edge.cell)!, nonZero(edge))]!);
    }
  }
  const choices: Record<string, string> = {};
  const byNode = new Map<string, Array<{ edge: EdgeSpec; op: string; strength: number }>>();
  for (const edge of space.edges) {
    const p = probs.get(edge.label)!;
    if (topK === null) {
      const best = argmaxOf(p, p.keys());
      const op = edge.candidates[best]!;
      choices[edge.label] = op === ZERO_OPERATOR ? op : (cellOperator.get(edge.cell) ?? op);
      continue;
    }
    const best = argmaxOf(p, nonZero(edge));
    const key = `${edge.cell}.${edge.to}`;
    const list = byNode.get(key) ?? [];
    list.push({ edge, op: cellOperator.get(edge.cell) ?? edge.candidates[best]!, strength: p[best]! });
    byNode.set(key, list);
  }
  for (const list of byNode.values()) {
    const ranked = list.slice().sort((a, b) => b.strength - a.strength || a.edge.fromIndex - b.edge.fromIndex);
    const keep = new Set(ranked.slice(0, topK ?? 0).map((r) => r.edge.label));
    for (const r of list) choices[r.edge.label] = keep.has(r.edge.label) ? r.op : ZERO_OPERATOR;
  }
  const ordered: Record<string, string> = {};
  for (const edge of space.edges) ordered[edge.label] = choices[edge.label]!;
  return validateGenotype(
    {
      schema: GENOTYPE_SCHEMA,
      macro: space.macro,
      choices: ordered,
      meta: { derivedBy: 'deriveGenotype', topK, ...(operators === 'cell' ? { operators } : {}), ...(options.meta ?? {}) },
    },
    { space, source: 'deriveGenotype' },
  );
}
