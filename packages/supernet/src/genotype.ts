import type { JsonValue } from '@voxnas/core';
import { GenotypeError } from './errors.js';
import {
  CELL_TYPES,
  cellEdges,
  macroFrom,
  MACRO_LIMITS,
  type CellType,
  type MacroConfig,
  type SearchSpace,
} from './search-space.js';

/** The schema tag of this genotype format. A released tag never changes meaning. */
export const GENOTYPE_SCHEMA = 'voxnas/genotype@1';

/**
 * A searched architecture as versioned JSON. It fully determines a child network:
 * - `macro`: the structural parameters (levels, base channels, nodes per cell, cell inputs, input
 *   channels, classes), see {@link MacroConfig};
 * - `choices`: one operator name per edge label of the four cell types (`"reduction.in0->n1": "conv-3x3x3"`);
 *   `"zero"` means the edge is absent. Every label implied by `macro` is present, no other.
 * - `meta` (optional): provenance, free-form JSON (never read by the builder).
 *
 * @example
 * const g: Genotype = { schema: 'voxnas/genotype@1', macro: space.macro, choices: { 'encoder-normal.in0->n0': 'conv-3x3x3', … } };
 */
export interface Genotype {
  readonly schema: typeof GENOTYPE_SCHEMA;
  readonly macro: MacroConfig;
  readonly choices: Readonly<Record<string, string>>;
  readonly meta?: { readonly [key: string]: JsonValue };
}

/** Options of {@link validateGenotype}. */
export interface ValidateGenotypeOptions {
  /** When given, each choice must be a candidate of its edge in this space and `nodes`/`cellInputs` must match. */
  space?: SearchSpace;
  /** When given, each choice must be one of these operator names (e.g. the registry's `listOperators()`). */
  operators?: readonly string[];
  /** Name used in error messages (a file path, say). Default `'validateGenotype'`. */
  source?: string;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkJson(v: unknown, field: string, where: string): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new GenotypeError(where, { field, expected: 'a finite JSON number', got: String(v) });
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(x, `${field}[${i}]`, where));
    return;
  }
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) checkJson(x, `${field}.${k}`, where);
    return;
  }
  throw new GenotypeError(where, { field, expected: 'a JSON value', got: describe(v) });
}

/**
 * Checks that `value` is a genotype of schema `voxnas/genotype@1` and returns a frozen, normalised copy
 * (keys in canonical edge order). The error names the first bad field, what was expected and what was
 * found.
 *
 * @throws GenotypeError for a wrong schema tag, a missing/extra/ill-typed field, an out-of-range macro
 *   value, a missing or unknown edge label, or an operator that is unknown / not a candidate of its edge.
 * @example
 * const g = validateGenotype(JSON.parse(await readFile('genotype.json', 'utf8')), { space });
 */
export function validateGenotype(value: unknown, options: ValidateGenotypeOptions = {}): Genotype {
  const where = options.source ?? 'validateGenotype';
  if (!isPlainObject(value)) throw new GenotypeError(where, { field: '(root)', expected: 'an object', got: describe(value) });
  if (value.schema !== GENOTYPE_SCHEMA) {
    throw new GenotypeError(where, {
      field: 'schema',
      expected: JSON.stringify(GENOTYPE_SCHEMA),
      got: describe(value.schema),
      hint: typeof value.schema === 'string' && value.schema.startsWith('voxnas/genotype@') ? 'unsupported version' : undefined,
    });
  }
  for (const key of Object.keys(value)) {
    if (!['schema', 'macro', 'choices', 'meta'].includes(key)) {
      throw new GenotypeError(where, { field: key, expected: 'absent (fields: schema, macro, choices, meta)', got: 'present' });
    }
  }
  const macroIn = value.macro;
  if (!isPlainObject(macroIn)) throw new GenotypeError(where, { field: 'macro', expected: 'an object', got: describe(macroIn) });
  const m = macroFrom((key, lo, hi) => {
    const v = macroIn[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new GenotypeError(where, { field: `macro.${key}`, expected: `an integer in [${lo}, ${hi}]`, got: describe(v) });
    }
    return v;
  });
  for (const key of Object.keys(macroIn)) {
    if (!(key in MACRO_LIMITS)) {
      throw new GenotypeError(where, {
        field: `macro.${key}`,
        expected: `absent (fields: ${Object.keys(MACRO_LIMITS).join(', ')})`,
        got: 'present',
      });
    }
  }
  const space = options.space;
  if (space) {
    for (const key of ['nodes', 'cellInputs'] as const) {
      if (m[key] !== space.macro[key]) {
        throw new GenotypeError(where, {
          field: `macro.${key}`,
          expected: `${space.macro[key]} (the search space's)`,
          got: String(m[key]),
        });
      }
    }
  }
  const choicesIn = value.choices;
  if (!isPlainObject(choicesIn)) {
    throw new GenotypeError(where, { field: 'choices', expected: 'an object (edge label → operator name)', got: describe(choicesIn) });
  }
  const edges = space ? space.edges : cellEdges(m, placeholderCandidates);
  const known = options.operators ? new Set(options.operators) : undefined;
  const choices: Record<string, string> = {};
  for (const edge of edges) {
    const op = choicesIn[edge.label];
    const field = `choices["${edge.label}"]`;
    if (typeof op !== 'string' || op.length === 0) {
      throw new GenotypeError(where, { field, expected: 'an operator name', got: describe(op) });
    }
    if (space && !edge.candidates.includes(op)) {
      throw new GenotypeError(where, { field, expected: `one of ${edge.candidates.join(', ')}`, got: JSON.stringify(op) });
    }
    if (known && !known.has(op)) {
      throw new GenotypeError(where, {
        field,
        expected: 'a registered operator',
        got: JSON.stringify(op),
        hint: `known: ${[...known].join(', ')}`,
      });
    }
    choices[edge.label] = op;
  }
  for (const label of Object.keys(choicesIn)) {
    if (!(label in choices)) {
      throw new GenotypeError(where, {
        field: `choices["${label}"]`,
        expected: `absent (no such edge with nodes=${m.nodes}, cellInputs=${m.cellInputs})`,
        got: 'present',
      });
    }
  }
  const out: { schema: typeof GENOTYPE_SCHEMA; macro: MacroConfig; choices: Record<string, string>; meta?: Record<string, JsonValue> } = {
    schema: GENOTYPE_SCHEMA,
    macro: m,
    choices: Object.freeze(choices) as Record<string, string>,
  };
  if (value.meta !== undefined) {
    if (!isPlainObject(value.meta)) throw new GenotypeError(where, { field: 'meta', expected: 'an object', got: describe(value.meta) });
    checkJson(value.meta, 'meta', where);
    out.meta = deepFreeze(structuredClone(value.meta) as Record<string, JsonValue>);
  }
  return Object.freeze(out);
}

const placeholderCandidates = Object.freeze(
  Object.fromEntries(CELL_TYPES.map((c) => [c, Object.freeze([] as string[])])) as Record<CellType, readonly string[]>,
);

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * Parses genotype JSON text and validates it (see {@link validateGenotype}).
 *
 * @throws GenotypeError when the text is not JSON (field `(root)`, with the parser error as `cause`) or
 *   the value is not a valid genotype.
 * @example
 * const g = parseGenotype(await readFile('run/genotype.json', 'utf8'), { source: 'run/genotype.json' });
 */
export function parseGenotype(text: string, options: ValidateGenotypeOptions = {}): Genotype {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new GenotypeError(
      options.source ?? 'parseGenotype',
      { field: '(root)', expected: 'JSON text', got: `unparsable text (${(cause as Error).message})` },
      { cause },
    );
  }
  return validateGenotype(value, options);
}

/**
 * Canonical JSON text of a genotype (2-space indented, labels in edge order, trailing newline).
 *
 * @example
 * await writeFile('genotype.json', stringifyGenotype(g));
 */
export function stringifyGenotype(genotype: Genotype): string {
  const g = validateGenotype(genotype, { source: 'stringifyGenotype' });
  return `${JSON.stringify(g, null, 2)}\n`;
}
