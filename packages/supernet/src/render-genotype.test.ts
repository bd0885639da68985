import { runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { GenotypeError } from './errors.js';
import { validateGenotype } from './genotype.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { renderGenotypeSvg } from './render-genotype.js';
import { createSearchSpace } from './search-space.js';

/** Parses the SVG with Python's XML parser and counts what it draws. */
const INSPECT = `
import json, sys
import xml.etree.ElementTree as ET
svgs = json.load(sys.stdin)
ns = '{http://www.w3.org/2000/svg}'
out = []
for s in svgs:
    root = ET.fromstring(s)
    titles = [t.text for t in root.iter(ns + 'title')]
    groups = [g.get('id') for g in root.iter(ns + 'g') if g.get('id')]
    texts = [t.text for t in root.iter(ns + 'text')]
    out.append({'tag': root.tag, 'width': root.get('width'), 'titles': titles, 'groups': groups, 'texts': texts})
print(json.dumps(out))
`;

describe('renderGenotypeSvg', () => {
  const cases = [
    { levels: 4, nodes: 3, cellInputs: 2, seed: 1 },
    { levels: 2, nodes: 1, cellInputs: 1, seed: 2 },
    { levels: 5, nodes: 5, cellInputs: 2, seed: 3 },
  ];
  it('well-formed SVG (Python XML parser) with one titled edge per non-zero choice', () => {
    const genotypes = cases.map(({ seed, ...o }) => sampleRandomGenotype(createSearchSpace(o), new Rng(seed)));
    const svgs = genotypes.map((g) => renderGenotypeSvg(g, { title: 'Heart <fold 0> & co' }));
    const parsed = runPythonReference<Array<{ tag: string; titles: string[]; groups: string[]; texts: string[] }>>(INSPECT, svgs);
    parsed.forEach((p, i) => {
      const g = genotypes[i]!;
      expect(p.tag).toBe('{http://www.w3.org/2000/svg}svg');
      expect(p.groups).toEqual(['macro', 'cell-encoder-normal', 'cell-reduction', 'cell-decoder-normal', 'cell-expansion', 'legend']);
      const edgeTitles = p.titles.filter((t) => /^[a-z-]+\.(in|n)\d+->n\d+: /.test(t));
      const expected = Object.entries(g.choices)
        .filter(([, op]) => op !== 'zero')
        .map(([label, op]) => `${label}: ${op}`);
      expect(edgeTitles.sort()).toEqual(expected.sort());
      expect(p.texts).toContain('Heart <fold 0> & co');
      const cells = 4 * (g.macro.levels - 1) + 1;
      expect(p.texts.filter((t) => /^(enc|red|inter|exp|dec)\d$/.test(t))).toHaveLength(cells);
    });
  });

  it('is deterministic and escapes user operator names', () => {
    const space = createSearchSpace({ levels: 2, nodes: 1 });
    const g = sampleRandomGenotype(space, new Rng(4));
    expect(renderGenotypeSvg(g)).toBe(renderGenotypeSvg(JSON.parse(JSON.stringify(g))));
    const custom = validateGenotype({ ...g, choices: Object.fromEntries(Object.keys(g.choices).map((k) => [k, 'my<op>&"x"'])) });
    const svg = renderGenotypeSvg(custom);
    expect(svg).toContain('my&lt;op&gt;&amp;&quot;x&quot;');
    expect(svg).not.toContain('my<op>');
  });

  it('rejects an invalid genotype', () => {
    expect(() => renderGenotypeSvg({ schema: 'voxnas/genotype@1' } as never)).toThrow(GenotypeError);
  });
});
