import { validateGenotype, type Genotype } from './genotype.js';
import type { MacroConfig } from './search-space.js';

/** The differences between two genotypes (see {@link diffGenotypes}). */
export interface GenotypeDiff {
  /** True when macro and every choice agree (`meta` is ignored). */
  readonly equal: boolean;
  readonly macro: ReadonlyArray<{ readonly field: keyof MacroConfig; readonly a: number; readonly b: number }>;
  /** Labels whose operator differs; `undefined` when the label exists in only one genotype. */
  readonly choices: ReadonlyArray<{ readonly label: string; readonly a: string | undefined; readonly b: string | undefined }>;
}

/**
 * Lists what differs between two genotypes: macro fields and per-edge operators, in canonical edge
 * order (labels of `a` first, then labels only in `b`). Both are validated first.
 *
 * @throws GenotypeError when either argument is not a valid genotype.
 * @example
 * const d = diffGenotypes(searched, random);
 * d.choices.length; // edges that differ
 */
export function diffGenotypes(a: Genotype, b: Genotype): GenotypeDiff {
  const ga = validateGenotype(a, { source: 'diffGenotypes(a)' });
  const gb = validateGenotype(b, { source: 'diffGenotypes(b)' });
  const macro: Array<{ field: keyof MacroConfig; a: number; b: number }> = [];
  for (const field of Object.keys(ga.macro) as Array<keyof MacroConfig>) {
    if (ga.macro[field] !== gb.macro[field]) macro.push({ field, a: ga.macro[field], b: gb.macro[field] });
  }
  const choices: Array<{ label: string; a: string | undefined; b: string | undefined }> = [];
  for (const [label, op] of Object.entries(ga.choices)) {
    if (gb.choices[label] !== op) choices.push({ label, a: op, b: gb.choices[label] });
  }
  for (const [label, op] of Object.entries(gb.choices)) {
    if (!(label in ga.choices)) choices.push({ label, a: undefined, b: op });
  }
  return { equal: macro.length === 0 && choices.length === 0, macro, choices };
}
