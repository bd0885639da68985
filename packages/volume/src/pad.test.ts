import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { arr, compareAtWorldPoints, randomVolume } from '../test/helpers.js';
import { centredOffset, padOrCrop, padToMultiple } from './pad.js';

const AFFINE = [0, -1.5, 0, 10, 0, 0, 2, -20, 1.25, 0, 0, 30, 0, 0, 0, 1];

describe('padOrCrop', () => {
  it.each([
    [5, 8, -1], // pad 3: 1 before, 2 after
    [5, 9, -2],
    [8, 5, 1], // crop 3: 1 at the start, 2 at the end
    [9, 5, 2],
    [6, 6, 0],
  ])('centredOffset(%i → %i) = %i', (n, m, off) => {
    expect(centredOffset(n, m)).toBe(off);
  });

  it.each([[[8, 3, 10]], [[5, 6, 7]], [[1, 1, 1]], [[12, 13, 4]]] as const)(
    'to %j keeps world positions and restores exactly when reversed',
    (shape) => {
      const v = randomVolume({ shape: [5, 6, 7], affine: AFFINE, dtype: 'int16', channels: 2 });
      const p = padOrCrop(v, { shape, fill: -1 });
      expect(p.shape).toEqual(shape);
      expect(compareAtWorldPoints(v, p, -1).mismatches).toBe(0);
      if (shape.every((m, i) => m >= v.shape[i]!)) {
        const back = padOrCrop(p, { shape: [5, 6, 7] });
        expect(arr(back)).toEqual(arr(v));
        expect(Array.from(back.affine)).toEqual(AFFINE);
      }
    },
  );

  it('pads 3 → 6 with the extra voxel after: [f, a, b, c, f, f]', () => {
    const v = randomVolume({ shape: [3, 1, 1], dtype: 'uint8' });
    const p = padOrCrop(v, { shape: [6, 1, 1], fill: 200 });
    expect(arr(p)).toEqual([200, ...arr(v), 200, 200]);
  });

  it('rejects bad shapes', () => {
    expect(() =>
      padOrCrop(randomVolume({ shape: [3, 4, 5] }), { shape: [3, 0, 5] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: padOrCrop: shape must be 3 positive integers, got [3,0,5]]`,
    );
  });
});

describe('padToMultiple', () => {
  it.each([
    [16, [5, 6, 7], [16, 16, 16]],
    [4, [8, 9, 3], [8, 12, 4]],
    [
      [2, 4, 8],
      [5, 6, 7],
      [6, 8, 8],
    ],
    [1, [5, 6, 7], [5, 6, 7]],
  ] as const)('multiple %j: %j → %j', (multiple, shape, want) => {
    const v = randomVolume({ shape: [...shape], affine: AFFINE });
    const p = padToMultiple(v, { multiple });
    expect(p.shape).toEqual(want);
    expect(compareAtWorldPoints(v, p).mismatches).toBe(0);
  });

  it('positional forms: padToMultiple(v, 16), padOrCrop(v, shape)', () => {
    const v = randomVolume({ shape: [5, 6, 7], affine: AFFINE });
    expect(arr(padToMultiple(v, 4))).toEqual(arr(padToMultiple(v, { multiple: 4 })));
    expect(padToMultiple(v, [2, 4, 8]).shape).toEqual([6, 8, 8]);
    expect(arr(padOrCrop(v, [8, 3, 10]))).toEqual(arr(padOrCrop(v, { shape: [8, 3, 10] })));
  });

  it('rejects a non-positive multiple', () => {
    expect(() => padToMultiple(randomVolume({ shape: [3, 4, 5] }), { multiple: 0 })).toThrow(
      InvalidArgumentError,
    );
  });
});
