import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { arr } from '../test/helpers.js';
import { rescaleIntensity, windowCt } from './rescale-intensity.js';
import { createVolume } from './volume.js';

const vol = (data: number[], channels = 1) =>
  createVolume({ data: Int16Array.from(data), shape: [data.length / channels, 1, 1], channels });

describe('rescaleIntensity', () => {
  it.each([
    ['default [0, 1] from min/max', [2, 4, 6, 3], {}, [0, 0.5, 1, 0.25]],
    ['to [-1, 1]', [2, 4, 6, 3], { outRange: [-1, 1] }, [-1, 0, 1, -0.5]],
    ['reversed range [1, 0]', [2, 4, 6, 3], { outRange: [1, 0] }, [1, 0.5, 0, 0.75]],
    ['inRange clips', [-10, 0, 5, 20], { inRange: [0, 10] }, [0, 0, 0.5, 1]],
    [
      'inRange without clip extrapolates',
      [-10, 0, 5, 20],
      { inRange: [0, 10], clip: false },
      [-1, 0, 0.5, 2],
    ],
    ['constant → outMin', [7, 7, 7, 7], { outRange: [3, 9] }, [3, 3, 3, 3]],
  ] as const)('%s', (_n, data, opts, want) => {
    const out = rescaleIntensity(vol([...data]), opts);
    expect(out.dtype).toBe('float32');
    expect(arr(out)).toEqual(want);
  });

  it('per channel by default, pooled on request', () => {
    const v = vol([0, 10, 100, 300], 2);
    expect(arr(rescaleIntensity(v))).toEqual([0, 1, 0, 1]);
    expect(arr(rescaleIntensity(v, { perChannel: false }))).toEqual(
      [0, 10 / 300, 100 / 300, 1].map(Math.fround),
    );
  });

  it('refuses label maps', () => {
    const lab = createVolume({ data: new Uint8Array(3), shape: [3, 1, 1], kind: 'label' });
    expect(() => rescaleIntensity(lab)).toThrow(InvalidArgumentError);
  });
});

describe('windowCt', () => {
  it('soft-tissue window (40, 400): −160 → 0, 40 → 0.5, 240 → 1, outside clipped', () => {
    expect(arr(windowCt(vol([-1000, -160, 40, 140, 240, 1000]), { center: 40, width: 400 }))).toEqual([
      0, 0, 0.5, 0.75, 1, 1,
    ]);
  });

  it('lung window (−600, 1500) to [−1, 1]', () => {
    expect(
      arr(windowCt(vol([-1350, -600, 150, 3000]), { center: -600, width: 1500, outRange: [-1, 1] })),
    ).toEqual([-1, 0, 1, 1]);
  });

  it('rejects a non-positive width', () => {
    expect(() => windowCt(vol([1]), { center: 0, width: 0 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: windowCt: expected a finite center and a positive width, got center 0 width 0]`,
    );
  });
});
