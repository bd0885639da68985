import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { erfc, normalPpf } from './internal/normal.js';
import { averageRanks, signedRankPmf, wilcoxonSignedRank, type WilcoxonOptions } from './wilcoxon.js';

interface Case {
  title: string;
  x: number[];
  y: number[];
  opts: WilcoxonOptions;
}

const rng = new Rng(123);
const gauss = (n: number, shift: number) => Array.from({ length: n }, () => rng.normal() + shift);
const round = (v: number[], step: number) => v.map((x) => Math.round(x / step) * step);

const CASES: Case[] = [];
for (const n of [5, 9, 14, 23, 50]) {
  CASES.push({ title: `exact n=${n}`, x: gauss(n, 0.4), y: gauss(n, 0), opts: {} });
}
CASES.push({ title: 'exact n=12 greater', x: gauss(12, 0.5), y: gauss(12, 0), opts: { alternative: 'greater' } });
CASES.push({ title: 'exact n=12 less', x: gauss(12, 0.5), y: gauss(12, 0), opts: { alternative: 'less' } });
CASES.push({ title: 'approx n=51', x: gauss(51, 0.2), y: gauss(51, 0), opts: {} });
CASES.push({ title: 'approx n=80 correction', x: gauss(80, 0.1), y: gauss(80, 0), opts: { correction: true } });
CASES.push({ title: 'approx n=30 forced', x: gauss(30, 0.3), y: gauss(30, 0), opts: { method: 'approx' } });
{
  // Zeros (→ approx, as scipy), with each zero method; ties among the rest.
  const y = round(gauss(25, 0), 0.5);
  const x = y.map((v, i) => (i % 5 === 0 ? v : v + Math.round(rng.normal() * 2) / 2 + 0.25));
  for (const zm of ['wilcox', 'pratt', 'zsplit'] as const) {
    CASES.push({ title: `zeros + ties zeroMethod=${zm}`, x, y, opts: { zeroMethod: zm } });
    CASES.push({ title: `zeros + ties zeroMethod=${zm} correction less`, x, y, opts: { zeroMethod: zm, correction: true, alternative: 'less' } });
  }
}
{
  // Ties without zeros (values on a 0.25 grid, so differences are exact): compare with scipy's
  // approx, our documented 'auto' choice.
  const y = round(gauss(20, 0), 0.5);
  const x = y.map((v) => v + (Math.round(rng.normal() * 4 + 1) / 4 || 0.25));
  CASES.push({ title: 'ties n=20 auto → approx', x, y, opts: {} });
}

const PY = `
import json, sys, warnings
from scipy import stats
warnings.simplefilter('ignore')
out = []
for c in json.load(sys.stdin):
    o = c['opts']
    kw = dict(zero_method=o.get('zeroMethod', 'wilcox'), correction=o.get('correction', False),
              alternative=o.get('alternative', 'two-sided'), mode=o.get('scipyMode', 'auto'))
    r = stats.wilcoxon(c['x'], c['y'], **kw)
    out.append([float(r.statistic), float(r.pvalue)])
print(json.dumps(out))
`;

describe.runIf(haveReferences('scipy'))('wilcoxonSignedRank vs scipy.stats.wilcoxon (scipy 1.10 defaults)', () => {
  const ref = runPythonReference<[number, number][]>(
    PY,
    CASES.map((c) => ({
      ...c,
      // scipy 1.10 would use its exact distribution on tied data; we document the approximation.
      opts: { ...c.opts, scipyMode: c.title.startsWith('ties') ? 'approx' : c.opts.method ?? 'auto' },
    })),
  );

  it.each(CASES.map((c, i) => [c.title, c, i] as const))('%s', (_t, c, i) => {
    const got = wilcoxonSignedRank(c.x, c.y, c.opts);
    const absd = c.x.map((v, j) => Math.abs(v - c.y[j]!));
    if (c.title.includes('ties')) expect(new Set(absd).size).toBeLessThan(absd.length);
    if (c.title.includes('zeros')) expect(absd).toContain(0);
    const [stat, p] = ref[i]!;
    expect(got.statistic).toBeCloseTo(stat, 9);
    expect(Math.abs(got.pvalue - p)).toBeLessThanOrEqual(1e-12 + 1e-9 * p);
    expect(got.method).toBe(c.title.startsWith('exact') ? 'exact' : 'approx');
  });

  it('is symmetric: swapping x and y keeps a two-sided p-value', () => {
    const c = CASES[2]!;
    expect(wilcoxonSignedRank(c.y, c.x).pvalue).toBeCloseTo(wilcoxonSignedRank(c.x, c.y).pvalue, 14);
    const d = c.x.map((v, i) => v - c.y[i]!);
    expect(wilcoxonSignedRank(d).pvalue).toBe(wilcoxonSignedRank(c.x, c.y).pvalue);
  });

  it('rejects mismatched pairs, all-zero differences and NaN', () => {
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrow(ShapeMismatchError);
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: wilcoxonSignedRank: x has 2 and y 1 values, expected paired samples of equal length]`);
    expect(() => wilcoxonSignedRank([0, 0, 0])).toThrow(InvalidArgumentError);
    expect(() => wilcoxonSignedRank([0, 0, 0])).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: wilcoxonSignedRank: every difference is zero, so zeroMethod 'wilcox' leaves nothing to rank; expected at least one non-zero difference]`);
    expect(() => wilcoxonSignedRank([1, NaN])).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: wilcoxonSignedRank: differences must be finite numbers, got NaN or Infinity]`);
  });
});

describe('helpers', () => {
  it('signed-rank pmf sums to 1 and matches enumeration for n=6', () => {
    const pmf = signedRankPmf(6);
    expect(pmf.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 15);
    const counts = new Array(22).fill(0);
    for (let m = 0; m < 64; m++) {
      let s = 0;
      for (let k = 0; k < 6; k++) if (m & (1 << k)) s += k + 1;
      counts[s]++;
    }
    expect(Array.from(pmf, (v) => v * 64)).toEqual(counts);
  });

  it('average ranks match scipy.stats.rankdata', () => {
    expect(averageRanks([3, 1, 3, 2, 3])).toEqual([4, 1, 4, 2, 4]);
  });

  it('erfc and the normal quantile match scipy.special to ~1e-14 relative', () => {
    const xs = [-3, -0.5, 0, 0.1, 1, 2.4, 2.6, 4, 7, 12];
    const ps = [1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999];
    const [e, q] = runPythonReference<[number[], number[]]>(
      `import json, sys; from scipy import special, stats
a = json.load(sys.stdin); print(json.dumps([[float(special.erfc(x)) for x in a[0]], [float(stats.norm.ppf(p)) for p in a[1]]]))`,
      [xs, ps],
    );
    xs.forEach((x, i) => expect(Math.abs(erfc(x) - e[i]!) / e[i]!).toBeLessThan(1e-13));
    ps.forEach((p, i) => expect(Math.abs(normalPpf(p) - q[i]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(q[i]!))));
  });
});
