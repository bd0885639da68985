import { expectClose, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { arr, randomVolume } from '../test/helpers.js';
import { clipPercentiles, percentiles } from './percentiles.js';
import { createVolume } from './volume.js';

const vol = (data: number[], channels = 1) =>
  createVolume({ data: Float64Array.from(data), shape: [data.length / channels, 1, 1], channels });

describe('percentiles', () => {
  it.each([
    [50, 3],
    [25, 2],
    [10, 1.4],
    [0, 1],
    [100, 5],
    [62.5, 3.5],
  ])('q=%s of [5, 1, 4, 2, 3] is %s (numpy linear rule)', (q, want) => {
    expect(percentiles(vol([5, 1, 4, 2, 3]), [q])).toEqual([[want]]);
  });

  it('agrees with numpy.percentile on random data, per channel, with ties, within a mask', () => {
    const v = randomVolume({ shape: [7, 9, 11], channels: 2, dtype: 'int16', max: 50, seed: 8 });
    const m = randomVolume({ shape: [7, 9, 11], dtype: 'uint8', max: 2, seed: 9 });
    const qs = [0, 0.5, 1, 13.7, 50, 99, 99.5, 100];
    const ref = runPythonReference<{ all: number[][]; masked: number[][]; pooled: number[] }>(
      `
import json, sys, numpy as np
c = json.load(sys.stdin)
x = np.array(c['x'], dtype=float).reshape(2, -1); m = np.array(c['m']) > 0; qs = c['qs']
print(json.dumps(dict(all=[np.percentile(x[k], qs).tolist() for k in range(2)],
                      masked=[np.percentile(x[k][m], qs).tolist() for k in range(2)],
                      pooled=np.percentile(x.ravel(), qs).tolist())))
`,
      { x: arr(v), m: arr(m), qs },
    );
    ref.all.forEach((r, k) => expectClose(percentiles(v, qs)[k]!, r, { atol: 1e-12, rtol: 1e-12 }));
    ref.masked.forEach((r, k) =>
      expectClose(percentiles(v, qs, { mask: m })[k]!, r, { atol: 1e-12, rtol: 1e-12 }),
    );
    expectClose(percentiles(v, qs, { perChannel: false })[0]!, ref.pooled, { atol: 1e-12, rtol: 1e-12 });
  });

  it('rejects q outside 0..100', () => {
    expect(() => percentiles(vol([1, 2]), [101])).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: percentiles: percentile 101 is outside 0..100]`,
    );
  });
});

describe('clipPercentiles', () => {
  it('0..100 clipped at the 5th and 95th percentiles is 5..95', () => {
    const v = createVolume({ data: Int16Array.from({ length: 101 }, (_, i) => 100 - i), shape: [101, 1, 1] });
    const c = clipPercentiles(v, { lower: 5, upper: 95 });
    expect(c.dtype).toBe('float32');
    expect(arr(c)).toEqual(Array.from({ length: 101 }, (_, i) => Math.min(95, Math.max(5, 100 - i))));
  });

  it('per channel: each channel gets its own bounds', () => {
    const c = clipPercentiles(vol([0, 1, 2, 3, 4, 10, 20, 30, 40, 50], 2), { lower: 25, upper: 75 });
    expect(arr(c)).toEqual([1, 1, 2, 3, 3, 20, 20, 30, 40, 40]);
  });

  it('rejects lower > upper', () => {
    expect(() => clipPercentiles(vol([1, 2]), { lower: 90, upper: 10 })).toThrow(InvalidArgumentError);
  });
});
