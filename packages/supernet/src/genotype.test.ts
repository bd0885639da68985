import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { GenotypeError } from './errors.js';
import { GENOTYPE_SCHEMA, parseGenotype, stringifyGenotype, validateGenotype } from './genotype.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { createSearchSpace } from './search-space.js';

const space = createSearchSpace({ levels: 3, baseChannels: 4, nodes: 2 });
const good = sampleRandomGenotype(space, new Rng(1));
const plain = () => JSON.parse(JSON.stringify(good)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('validateGenotype', () => {
  it('accepts a genotype and round-trips it through JSON text', () => {
    expect(validateGenotype(plain(), { space })).toEqual(good);
    const text = stringifyGenotype(good);
    expect(parseGenotype(text, { space })).toEqual(good);
    expect(stringifyGenotype(parseGenotype(text))).toBe(text);
    expect(Object.keys(good.choices)).toEqual(space.edges.map((e) => e.label));
    expect(good.schema).toBe(GENOTYPE_SCHEMA);
  });

  it('normalises key order and freezes the result', () => {
    const v = plain();
    v.choices = Object.fromEntries(Object.entries(v.choices as Record<string, string>).reverse());
    const g = validateGenotype(v);
    expect(Object.keys(g.choices)).toEqual(space.edges.map((e) => e.label));
    expect(Object.isFrozen(g.choices)).toBe(true);
  });

  const cases: Array<[string, (v: Record<string, any>) => unknown, string]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['not an object', () => [1, 2], 'validateGenotype: (root) is an array, expected an object'],
    ['wrong version', (v) => ({ ...v, schema: 'voxnas/genotype@2' }), 'validateGenotype: schema is "voxnas/genotype@2", expected "voxnas/genotype@1" (unsupported version)'],
    ['missing schema', ({ schema: _s, ...v }) => v, 'validateGenotype: schema is missing, expected "voxnas/genotype@1"'],
    ['extra top-level field', (v) => ({ ...v, alphas: {} }), 'validateGenotype: alphas is present, expected absent (fields: schema, macro, choices, meta)'],
    ['fractional levels', (v) => ({ ...v, macro: { ...v.macro, levels: 2.5 } }), 'validateGenotype: macro.levels is number 2.5, expected an integer in [2, 7]'],
    ['string channels', (v) => ({ ...v, macro: { ...v.macro, baseChannels: '4' } }), 'validateGenotype: macro.baseChannels is "4", expected an integer in [1, 4096]'],
    ['missing edge', (v) => ({ ...v, choices: { ...v.choices, 'reduction.in1->n0': undefined } }), 'validateGenotype: choices["reduction.in1->n0"] is missing, expected an operator name'],
    ['extra edge', (v) => ({ ...v, choices: { ...v.choices, 'reduction.in0->n2': 'zero' } }), 'validateGenotype: choices["reduction.in0->n2"] is present, expected absent (no such edge with nodes=2, cellInputs=2)'],
    ['non-string op', (v) => ({ ...v, choices: { ...v.choices, 'expansion.n0->n1': 3 } }), 'validateGenotype: choices["expansion.n0->n1"] is number 3, expected an operator name'],
    ['meta with NaN', (v) => ({ ...v, meta: { score: Number.NaN } }), 'validateGenotype: meta.score is NaN, expected a finite JSON number'],
  ];
  it.each(cases)('%s → GenotypeError naming the field', (_name, mutate, message) => {
    let err: unknown;
    try {
      validateGenotype(mutate(plain()));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GenotypeError);
    expect((err as GenotypeError).message).toBe(message);
    expect((err as GenotypeError).code).toBe('E_GENOTYPE');
  });

  it('checks choices against the space and against a list of known operators', () => {
    const v = plain();
    v.choices['decoder-normal.in0->n0'] = 'conv-5x5x5';
    expect(() => validateGenotype(v, { space })).toThrowErrorMatchingInlineSnapshot(
      `[GenotypeError: validateGenotype: choices["decoder-normal.in0->n0"] is "conv-5x5x5", expected one of zero, identity, conv-3x3x3, p3d-3x3x1, sep-conv-3x3x3, dil-conv-3x3x3]`,
    );
    expect(() => validateGenotype(v, { operators: ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1', 'sep-conv-3x3x3', 'dil-conv-3x3x3'], source: 'g.json' })).toThrowErrorMatchingInlineSnapshot(
      `[GenotypeError: g.json: choices["decoder-normal.in0->n0"] is "conv-5x5x5", expected a registered operator (known: zero, identity, conv-3x3x3, p3d-3x3x1, sep-conv-3x3x3, dil-conv-3x3x3)]`,
    );
    const w = plain();
    w.macro.nodes = 3;
    expect(() => validateGenotype(w, { space })).toThrowErrorMatchingInlineSnapshot(
      `[GenotypeError: validateGenotype: macro.nodes is 3, expected 2 (the search space's)]`,
    );
  });

  it('parseGenotype wraps JSON syntax errors', () => {
    let err: unknown;
    try {
      parseGenotype('{"schema": ', { source: 'run/genotype.json' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GenotypeError);
    expect((err as GenotypeError).field).toBe('(root)');
    expect((err as GenotypeError).message).toMatch(/^run\/genotype\.json: \(root\) is unparsable text \(.+\), expected JSON text$/);
    expect((err as GenotypeError).cause).toBeInstanceOf(SyntaxError);
  });
});
