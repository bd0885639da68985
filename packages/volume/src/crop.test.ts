import { describe, expect, it } from 'vitest';
import { boundingBox, crop, cropToForeground } from './crop.js';
import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { arr, compareAtWorldPoints, randomVolume } from '../test/helpers.js';
import { createVolume } from './volume.js';

const AFFINE = [0, -1.5, 0, 10, 0, 0, 2, -20, 1.25, 0, 0, 30, 0, 0, 0, 1];

/** 7×9×11 zeros with a 2-channel blob: channel 0 at x 2..4, y 3..5, z 1..6; channel 1 one voxel at (5, 8, 9). */
function blob() {
  const data = new Int16Array(7 * 9 * 11 * 2);
  for (let z = 1; z <= 6; z++)
    for (let y = 3; y <= 5; y++) for (let x = 2; x <= 4; x++) data[z * 63 + y * 7 + x] = 3;
  data[693 + 9 * 63 + 8 * 7 + 5] = 1;
  return createVolume({ data, shape: [7, 9, 11], channels: 2, affine: AFFINE });
}

describe('boundingBox / crop / cropToForeground', () => {
  it('boundingBox spans every channel, honours the threshold, null when empty', () => {
    const v = blob();
    expect(boundingBox(v)).toEqual({ start: [2, 3, 1], end: [6, 9, 10] });
    expect(boundingBox(v, { threshold: 1 })).toEqual({ start: [2, 3, 1], end: [5, 6, 7] });
    expect(boundingBox(v, { threshold: 3 })).toBeNull();
  });

  it.each([
    ['margin 0', 0, [2, 3, 1], [5, 6, 7]],
    ['margin 1', 1, [1, 2, 0], [6, 7, 8]],
    ['margin clamps at the volume', 3, [0, 0, 0], [7, 9, 10]],
  ] as const)('cropToForeground %s (threshold 1)', (_n, margin, start, end) => {
    const v = blob();
    const c = cropToForeground(v, { margin, threshold: 1 });
    expect(c.shape).toEqual(end.map((e, i) => e - start[i]!));
    expect(c.channels).toBe(2);
    expect(compareAtWorldPoints(v, c)).toMatchObject({ mismatches: 0, outside: 0 });
    // voxel 0 of the crop is voxel `start` of the input
    expect(c.data[0]).toBe(v.data[start[2] * 63 + start[1] * 7 + start[0]]);
  });

  it('cropToForeground with a mask from another volume on the same grid; per-axis margin', () => {
    const img = randomVolume({ shape: [7, 9, 11], affine: AFFINE });
    const c = cropToForeground(img, { mask: blob(), margin: [0, 1, 2], threshold: 1 });
    expect(c.shape).toEqual([3, 5, 9]); // z 1..6 ± 2, clamped to 0..8
    expect(compareAtWorldPoints(img, c).mismatches).toBe(0);
  });

  it('crop beyond the volume fills and keeps world positions', () => {
    const v = randomVolume({ shape: [5, 6, 7], affine: AFFINE, dtype: 'uint8', kind: 'label' });
    const c = crop(v, { start: [-2, 1, 3], end: [4, 9, 5], fill: 255 });
    expect(c.shape).toEqual([6, 8, 2]);
    expect(c.kind).toBe('label');
    expect(c.dtype).toBe('uint8');
    const cmp = compareAtWorldPoints(v, c, 255);
    expect(cmp.mismatches).toBe(0);
    expect(cmp.outside).toBe(6 * 8 * 2 - 4 * 5 * 2);
  });

  it('full-volume crop is an exact copy', () => {
    const v = randomVolume({ shape: [5, 6, 7], channels: 3 });
    expect(arr(crop(v, { start: [0, 0, 0], end: [5, 6, 7] }))).toEqual(arr(v));
  });

  it('errors', () => {
    const v = blob();
    expect(() => cropToForeground(v, { threshold: 10 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: cropToForeground: no voxel > 10, expected some foreground]`,
    );
    expect(() => cropToForeground(v, { mask: randomVolume({ shape: [7, 9, 10] }) })).toThrow(
      ShapeMismatchError,
    );
    expect(() => cropToForeground(v, { margin: -1 })).toThrow(InvalidArgumentError);
    expect(() => crop(v, { start: [0, 0, 0], end: [0, 2, 2] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: crop: box must have integer start < end on every axis, got start [0,0,0] end [0,2,2]]`,
    );
  });
});
