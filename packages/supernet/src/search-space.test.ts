import { describe, expect, it } from 'vitest';
import { SearchSpaceError } from './errors.js';
import {
  CELL_TYPES,
  createSearchSpace,
  DEFAULT_CANDIDATES,
  edgesOf,
  macroLayout,
  spatialMultiple,
} from './search-space.js';

describe('createSearchSpace', () => {
  it('defaults: 4 levels, 16 channels, 3 nodes, 2 inputs, zero among the candidates', () => {
    const space = createSearchSpace();
    expect(space.macro).toEqual({ levels: 4, baseChannels: 16, nodes: 3, cellInputs: 2, inputChannels: 1, classes: 2 });
    for (const cell of CELL_TYPES) expect(space.candidates[cell]).toContain('zero');
    expect(space.edges).toHaveLength(4 * (2 + 3 + 4));
    expect(JSON.parse(JSON.stringify(space))).toEqual(space);
    expect(Object.isFrozen(space.edges[0])).toBe(true);
  });

  it.each([
    { nodes: 1, cellInputs: 1, perCell: 1 },
    { nodes: 2, cellInputs: 2, perCell: 5 },
    { nodes: 4, cellInputs: 2, perCell: 14 },
    { nodes: 3, cellInputs: 1, perCell: 6 },
  ])('nodes=$nodes cellInputs=$cellInputs: $perCell edges per cell, unique labels', ({ nodes, cellInputs, perCell }) => {
    const space = createSearchSpace({ nodes, cellInputs });
    for (const cell of CELL_TYPES) expect(edgesOf(space, cell)).toHaveLength(perCell);
    expect(new Set(space.edges.map((e) => e.label)).size).toBe(4 * perCell);
  });

  it('labels, sources and resampling of the reduction cell', () => {
    const red = edgesOf(createSearchSpace({ nodes: 2 }), 'reduction');
    expect(red.map((e) => `${e.label}:${e.fromIndex}->${e.toIndex}:${e.resample}`)).toEqual([
      'reduction.in0->n0:0->0:down',
      'reduction.in1->n0:1->0:down',
      'reduction.in0->n1:0->1:down',
      'reduction.in1->n1:1->1:down',
      'reduction.n0->n1:2->1:none',
    ]);
    const exp = edgesOf(createSearchSpace({ nodes: 2 }), 'expansion');
    expect(exp.map((e) => e.resample)).toEqual(['up', 'up', 'up', 'up', 'none']);
    expect(edgesOf(createSearchSpace(), 'decoder-normal').every((e) => e.resample === 'none')).toBe(true);
  });

  it('custom candidates per cell type', () => {
    const space = createSearchSpace({ candidates: { reduction: ['zero', 'conv-3x3x3'] } });
    expect(space.candidates.reduction).toEqual(['zero', 'conv-3x3x3']);
    expect(space.candidates['encoder-normal']).toEqual(DEFAULT_CANDIDATES['encoder-normal']);
  });

  it.each([
    [{ levels: 1 }, 'createSearchSpace: levels is 1, expected an integer in [2, 7]'],
    [{ baseChannels: 2.5 }, 'createSearchSpace: baseChannels is 2.5, expected an integer in [1, 4096]'],
    [{ cellInputs: 3 }, 'createSearchSpace: cellInputs is 3, expected an integer in [1, 2]'],
    [{ candidates: { expansion: [] } }, 'createSearchSpace: candidates["expansion"]: expected a non-empty array of operator names, got []'],
    [{ candidates: { expansion: ['zero'] } }, 'createSearchSpace: candidates["expansion"]: has only "zero", expected at least one real operator'],
    [{ candidates: { expansion: ['zero', 'identity', 'zero'] } }, 'createSearchSpace: candidates["expansion"]: "zero" is listed twice'],
    [{ candidates: { bottleneck: ['identity'] } }, 'createSearchSpace: candidates has unknown cell type "bottleneck", expected one of encoder-normal, reduction, decoder-normal, expansion'],
  ])('rejects %j', (options, message) => {
    expect(() => createSearchSpace(options as never)).toThrow(SearchSpaceError);
    expect(() => createSearchSpace(options as never)).toThrow(message);
  });
});

describe('macroLayout', () => {
  it('levels=4: a U of 13 cells with additive skips, each fed by the two previous cells', () => {
    const layout = macroLayout(createSearchSpace().macro);
    expect(layout.map((c) => `${c.id}:${c.type}@${c.inputLevel}->${c.level}/${c.channels}[${c.inputs.join(',')}]${c.skip ? `+${c.skip}` : ''}`)).toEqual([
      'enc0:encoder-normal@0->0/16[stem,stem]',
      'red1:reduction@0->1/32[stem,enc0]',
      'enc1:encoder-normal@1->1/32[enc0,red1]',
      'red2:reduction@1->2/64[red1,enc1]',
      'enc2:encoder-normal@2->2/64[enc1,red2]',
      'red3:reduction@2->3/128[red2,enc2]',
      'inter3:encoder-normal@3->3/128[enc2,red3]',
      'exp2:expansion@3->2/64[red3,inter3]+enc2',
      'dec2:decoder-normal@2->2/64[inter3,exp2]',
      'exp1:expansion@2->1/32[exp2,dec2]+enc1',
      'dec1:decoder-normal@1->1/32[dec2,exp1]',
      'exp0:expansion@1->0/16[exp1,dec1]+enc0',
      'dec0:decoder-normal@0->0/16[dec1,exp0]',
    ]);
  });

  it('consecutive cells differ by at most one level, so pre-processing resamples by at most 2', () => {
    for (const levels of [2, 3, 5]) {
      const layout = macroLayout({ ...createSearchSpace().macro, levels });
      const level = new Map([['stem', 0], ...layout.map((c) => [c.id, c.level] as [string, number])]);
      for (const c of layout) for (const id of c.inputs) expect(Math.abs(level.get(id)! - c.inputLevel)).toBeLessThanOrEqual(1);
    }
  });

  it.each([[2, 2], [3, 4], [4, 8], [5, 16]])('levels=%i: inputs must be a multiple of %i', (levels, m) => {
    expect(spatialMultiple({ levels })).toBe(m);
  });
});
