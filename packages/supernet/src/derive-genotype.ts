import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, softmax } from '@voxnas/core';
import { GENOTYPE_SCHEMA, validateGenotype, type Genotype } from './genotype.js';
import { ZERO_OPERATOR, type EdgeSpec, type SearchSpace } from './search-space.js';

/** Architecture logits per edge label: plain numbers or 1-D tensors, ordered like `edge.candidates`. */
export type AlphaValues = Readonly<Record<string, ArrayLike<number> | tf.Tensor>>;

/** Options of {@link deriveGenotype}. */
export interface DeriveGenotypeOptions {
  /**
   * Incoming edges kept per node (DARTS / NAS-Unet use 2): each edge's strength is the softmax
   * probability of its best non-`zero` candidate, the `topK` strongest edges keep that candidate and the
   * others become `zero`. `null` takes each edge's argmax, `zero` included (pure α connectivity).
   * Default 2.
   */
  topK?: number | null;
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

/**
 * Derives a discrete genotype from the architecture logits α: per edge, the most probable non-`zero`
 * candidate; per node, the `topK` strongest incoming edges (others `zero`). Ties go to the earlier
 * candidate / edge, so the result is deterministic.
 *
 * @throws InvalidArgumentError when a label is missing from `alphas`, has the wrong length or a
 *   non-finite value, or `topK` is not a positive integer or null.
 * @example
 * const genotype = deriveGenotype(space, supernet.alphaValues(), { topK: 2 });
 */
export function deriveGenotype(space: SearchSpace, alphas: AlphaValues, options: DeriveGenotypeOptions = {}): Genotype {
  const topK = options.topK === undefined ? 2 : options.topK;
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) {
    throw new InvalidArgumentError(`deriveGenotype: topK must be a positive integer or null, got ${topK}`);
  }
  const choices: Record<string, string> = {};
  const byNode = new Map<string, Array<{ edge: EdgeSpec; op: string; strength: number }>>();
  for (const edge of space.edges) {
    const p = softmax(readAlpha(alphas, edge));
    if (topK === null) {
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
      choices[edge.label] = edge.candidates[best]!;
      continue;
    }
    let best = -1;
    for (let i = 0; i < p.length; i++) {
      if (edge.candidates[i] === ZERO_OPERATOR) continue;
      if (best < 0 || p[i]! > p[best]!) best = i;
    }
    const key = `${edge.cell}.${edge.to}`;
    const list = byNode.get(key) ?? [];
    list.push({ edge, op: edge.candidates[best]!, strength: p[best]! });
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
      meta: { derivedBy: 'deriveGenotype', topK, ...(options.meta ?? {}) },
    },
    { space, source: 'deriveGenotype' },
  );
}
