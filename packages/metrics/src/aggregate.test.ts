import { InvalidArgumentError, Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { aggregateCases, aggregateToCsv, casesToCsv, summarize, toJson, type CaseResult } from './aggregate.js';
import { evaluateSegmentation } from './evaluate-segmentation.js';
import { perturbMask, randomLabelMap } from '../test/fixtures.js';

const shape = [11, 7, 5] as const;

function makeCases(): CaseResult[] {
  const rng = new Rng(8);
  return Array.from({ length: 4 }, (_, i) => {
    const ref = randomLabelMap(rng, shape, 3);
    const pred = Int16Array.from(perturbMask(rng, ref, shape, { noise: 0.05 }), (v, j) => (v ? ref[j] || 1 : 0));
    if (i === 3) pred.fill(0); // an empty prediction: worst-case policy
    const vol = (d: Int16Array) => createVolume({ data: d, shape, kind: 'label' });
    return { caseId: `case-${i}`, result: evaluateSegmentation(vol(pred), vol(ref), { labels: [1, 2] }) };
  });
}

describe('aggregateCases', () => {
  const cases = makeCases();

  it('per class mean / std / median equal numpy (ddof=1) and the foreground mean averages the classes', () => {
    const agg = aggregateCases(cases);
    const values = agg.classes.map((c) => cases.map((k) => k.result.classes.find((x) => x.name === c.name)!.metrics.hd95));
    const want = runPythonReference<number[][]>(
      `import json, sys, numpy as np
print(json.dumps([[float(np.mean(v)), float(np.std(v, ddof=1)), float(np.median(v))] for v in json.load(sys.stdin)]))`,
      values,
    );
    agg.classes.forEach((c, i) => {
      const s = c.metrics.hd95;
      expect([s.mean, s.std, s.median].map((x, j) => x - want[i]![j]!).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    });
    expect(agg.foregroundMean.dice).toBeCloseTo((agg.classes[0]!.metrics.dice.mean + agg.classes[1]!.metrics.dice.mean) / 2, 14);
    expect(agg.cases).toBe(4);
    expect(agg.classes.map((c) => c.name)).toEqual(['1', '2']);
  });

  it('summarize drops NaN and counts it', () => {
    expect(summarize([1, 2, NaN, 4])).toEqual({
      mean: 7 / 3,
      std: Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2),
      median: 2,
      min: 1,
      max: 4,
      n: 3,
      nanCount: 1,
    });
    expect(summarize([NaN]).n).toBe(0);
    expect(() => aggregateCases([])).toThrow(InvalidArgumentError);
  });

  it('CSV round trip: every per-case value parses back exactly', () => {
    const csv = casesToCsv(cases);
    const lines = csv.trim().split('\n');
    const head = lines[0]!.split(',');
    expect(head.slice(0, 6)).toEqual(['case', 'class', 'labels', 'empty', 'dice', 'iou']);
    expect(lines).toHaveLength(1 + 4 * 2);
    const row = lines[8]!.split(',');
    const k = cases[3]!.result.classes[1]!;
    expect(row.slice(0, 4)).toEqual(['case-3', '2', '2', 'prediction']);
    expect(Number(row[head.indexOf('hd95')])).toBe(k.metrics.hd95);
    expect(Number(row[head.indexOf('assd')])).toBe(k.metrics.assd);
    const summary = aggregateToCsv(aggregateCases(cases)).trim().split('\n');
    expect(summary[0]).toBe('class,metric,mean,std,median,min,max,n,nan_count');
    expect(summary).toHaveLength(1 + 2 * 10 + 10);
  });

  it('toJson writes NaN and Infinity as null', () => {
    expect(toJson({ a: NaN, b: [1, Infinity], c: 'x' }, 0)).toBe('{"a":null,"b":[1,null],"c":"x"}');
  });
});
