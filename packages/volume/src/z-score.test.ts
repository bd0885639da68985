import { expectClose, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { arr, randomVolume } from '../test/helpers.js';
import { createVolume } from './volume.js';
import { zScore } from './z-score.js';

const vol = (data: number[], channels = 1, kind: 'image' | 'label' = 'image') =>
  createVolume({ data: Float32Array.from(data), shape: [data.length / channels, 1, 1], channels, kind });
const mask = (data: number[]) => createVolume({ data: Uint8Array.from(data), shape: [data.length, 1, 1] });

describe('zScore', () => {
  it('whole volume: [1, 2, 3, 4] → (x − 2.5)/√1.25', () => {
    const out = zScore(vol([1, 2, 3, 4]));
    expect(out.dtype).toBe('float32');
    expectClose(out.data, [-1.3416407865, -0.4472135955, 0.4472135955, 1.3416407865], {
      atol: 1e-7,
      rtol: 0,
    });
  });

  it('within a mask: stats from [1, 2, 3] (mean 2, std √(2/3)), applied to every voxel', () => {
    const out = zScore(vol([1, 2, 3, 100]), { mask: mask([1, 1, 1, 0]) });
    expectClose(out.data, [-1.2247448714, 0, 1.2247448714, 120.0249974], { atol: 1e-5, rtol: 1e-7 });
    const bg = zScore(vol([1, 2, 3, 100]), { mask: mask([1, 1, 1, 0]), outsideValue: 0 });
    expectClose(bg.data, [-1.2247448714, 0, 1.2247448714, 0], { atol: 1e-7, rtol: 0 });
  });

  it('per channel vs pooled', () => {
    const v = vol([1, 3, 10, 30], 2); // channel 0: [1, 3], channel 1: [10, 30]
    expect(arr(zScore(v))).toEqual([-1, 1, -1, 1]);
    // pooled: mean 11, std √((100 + 64 + 1 + 361)/4) = √131.5
    expectClose(
      zScore(v, { perChannel: false }).data,
      [-10, -8, -1, 19].map((x) => x / Math.sqrt(131.5)),
      { atol: 1e-6, rtol: 0 },
    );
  });

  it('a constant image is only centred; NaN voxels are ignored and stay NaN', () => {
    expect(arr(zScore(vol([5, 5, 5])))).toEqual([0, 0, 0]);
    const out = arr(zScore(vol([1, Number.NaN, 3])));
    expect(out).toEqual([-1, Number.NaN, 1]);
  });

  it('agrees with numpy on a random 2-channel image with a per-channel mask', () => {
    const v = randomVolume({ shape: [5, 6, 7], channels: 2, seed: 4 });
    const m = randomVolume({ shape: [5, 6, 7], channels: 2, dtype: 'uint8', max: 2, seed: 5 });
    const ref = runPythonReference<number[]>(
      `
import json, sys, numpy as np
c = json.load(sys.stdin)
x = np.array(c['x']).reshape(2, -1); m = np.array(c['m']).reshape(2, -1) > 0
print(json.dumps(np.concatenate([(x[k] - x[k][m[k]].mean()) / x[k][m[k]].std() for k in range(2)]).tolist()))
`,
      { x: arr(v), m: arr(m) },
    );
    expectClose(zScore(v, { mask: m }).data, ref, { atol: 1e-6, rtol: 1e-6 });
  });

  it('errors', () => {
    expect(() => zScore(vol([1, 2], 1, 'label'))).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: zScore: volume is a label map, expected kind 'image' (intensity functions never touch labels)]`,
    );
    expect(() => zScore(vol([1, 2]), { mask: mask([0, 0]) })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: zScore: no voxel selected in channel(s) 0, expected a non-empty mask]`,
    );
    expect(() => zScore(vol([1, 2]), { mask: mask([1, 1, 1]) })).toThrow(ShapeMismatchError);
    expect(() => zScore(vol([1, 2]), { outsideValue: 0 })).toThrow(InvalidArgumentError);
  });
});
