import { describe, expect, it } from 'vitest';
import { runPythonReference } from '@voxnas/testing';
import { boxPlot, boxStats } from './box-plot.js';

const SAMPLES = [
  [0.81, 0.77, 0.9, 0.85, 0.79, 0.88, 0.1],
  [0.5, 0.52],
  [0.3],
  [0.2, 0.4, 0.4, 0.9, 0.91, 0.3, 0.33, 0.61],
];

describe('box plots', () => {
  it('quartiles, whiskers and outliers equal numpy (linear percentiles, 1.5 IQR)', () => {
    const ref = runPythonReference<Array<{ q1: number; median: number; q3: number; low: number; high: number; outliers: number[] }>>(
      `
import json, sys
import numpy as np
out = []
for v in json.load(sys.stdin):
    a = np.array(v, dtype=float)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    iqr = q3 - q1
    inside = a[(a >= q1 - 1.5 * iqr) & (a <= q3 + 1.5 * iqr)]
    out.append({'q1': q1, 'median': med, 'q3': q3, 'low': inside.min(), 'high': inside.max(),
                'outliers': sorted(a[(a < q1 - 1.5 * iqr) | (a > q3 + 1.5 * iqr)].tolist())})
print(json.dumps(out))
`,
      SAMPLES,
    );
    SAMPLES.forEach((v, i) => {
      const b = boxStats(v)!;
      for (const k of ['q1', 'median', 'q3', 'low', 'high'] as const) expect(b[k]).toBeCloseTo(ref[i]![k], 12);
      expect(b.outliers).toEqual(ref[i]!.outliers);
    });
    expect(boxStats([Number.NaN])).toBeNull();
  });

  it('is a self-contained SVG with one box per series and escaped names', () => {
    const svg = boxPlot({ title: 'a <b> & "c"', series: [{ name: "x'y", values: SAMPLES[0]! }, { name: 'z', values: SAMPLES[1]! }] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)!.length).toBe(2);
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('x&#39;y');
    expect(svg).not.toMatch(/href=|<script/);
  });
});
