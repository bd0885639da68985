import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { createVolume } from '../volume.js';
import { extractPatch } from '../sampling/grid.js';
import { compose, createSubject } from './subject.js';
import { randomSpatial } from './spatial.js';

describe('randomSpatial with outShape and p', () => {
  const shape = [9, 8, 7] as const;
  const data = Float32Array.from({ length: 9 * 8 * 7 }, (_, i) => (i * 37) % 101);
  const image = createVolume({ data, shape: [...shape], affine: [2, 0, 0, 1, 0, 1.5, 0, -3, 0, 0, 1, 4, 0, 0, 0, 1] });
  const outShape: [number, number, number] = [5, 4, 3];
  const centreVoxel: [number, number, number] = [4, 3.5, 3];

  it('p = 0 still extracts the patch: an exact crop at the centre', () => {
    const t = randomSpatial({ outShape, centreVoxel, p: 0 });
    const out = compose([t])(createSubject({ image }), new Rng(1));
    expect(out.volumes.image!.shape).toEqual(outShape);
    const crop = extractPatch(image, { start: [2, 2, 2], patchShape: outShape });
    expect(Array.from(out.volumes.image!.data)).toEqual(Array.from(crop.data));
    expect(Array.from(out.volumes.image!.affine)).toEqual(Array.from(crop.affine));
  });

  it('p = 1 augments (the patch differs from the plain crop)', () => {
    const t = randomSpatial({ outShape, centreVoxel, p: 1, rotationDeg: [30, 30, 30] });
    const out = compose([t])(createSubject({ image }), new Rng(1));
    const crop = extractPatch(image, { start: [2, 2, 2], patchShape: outShape });
    expect(out.volumes.image!.shape).toEqual(outShape);
    expect(Array.from(out.volumes.image!.data)).not.toEqual(Array.from(crop.data));
  });
});
