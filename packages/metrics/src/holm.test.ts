import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { haveReferences, runPythonReference } from '@voxnas/testing';
import { holmAdjust } from './holm.js';

// statsmodels is not installed here; the reference is Holm's procedure written out in Python from its
// definition (the smallest p times m, the next times m − 1, …, then a running maximum, capped at 1),
// which is what statsmodels.stats.multitest.multipletests(method='holm') computes.
const CASES: Array<[string, number[]]> = [
  ['four tests', [0.01, 0.04, 0.03, 0.005]],
  ['ties', [0.02, 0.02, 0.5, 0.001, 0.02]],
  ['capped at 1', [0.4, 0.6, 0.9]],
  ['one test', [0.037]],
  ['already ordered', [0.0001, 0.0002, 0.0003, 0.2, 0.21, 0.22, 0.8]],
  ['with a NaN', [0.02, Number.NaN, 0.01]],
];

describe.runIf(haveReferences('python3'))('holmAdjust', () => {
  const ref = runPythonReference<Array<Array<number | null>>>(
    `
import json, sys, math
out = []
for ps in json.load(sys.stdin):
    idx = [i for i, p in enumerate(ps) if p is not None]
    m = len(idx)
    order = sorted(idx, key=lambda i: (ps[i], i))
    adj = [None] * len(ps)
    run = 0.0
    for k, i in enumerate(order):
        run = max(run, min(1.0, (m - k) * ps[i]))
        adj[i] = run
    out.append(adj)
print(json.dumps(out))
`,
    CASES.map(([, p]) => p.map((x) => (Number.isFinite(x) ? x : null))),
  );

  it.each(CASES.map((c, i) => [c[0], i] as const))('%s equals the reference', (_name, i) => {
    const got = holmAdjust(CASES[i]![1]);
    got.forEach((v, j) => {
      const want = ref[i]![j];
      if (want === null) expect(v).toBeNaN();
      else expect(v).toBeCloseTo(want as number, 15);
    });
  });

  it('the worked example of the docs (by hand: 0.005·4, 0.01·3, max(0.03·2, 0.03), max(0.04·1, 0.06))', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005])).toEqual([0.03, 0.06, 0.06, 0.02]);
  });

  it('rejects a p-value outside [0, 1]', () => {
    expect(() => holmAdjust([0.2, 1.5])).toThrow(InvalidArgumentError);
    expect(() => holmAdjust([0.2, 1.5])).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: holmAdjust: p-value 1 is 1.5, expected a number in [0, 1]]`);
  });
});
