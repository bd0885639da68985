import { Rng } from '@voxnas/core';
import { createVolume, type Volume } from '../src/volume.js';
import { createSubject, type Subject } from '../src/transforms/subject.js';

/** Non-identity affine: anisotropic spacing, a small rotation about z, an offset. */
export function testAffine(): Float64Array {
  const t = 0.3;
  const s = [1.2, 0.9, 2.0];
  return Float64Array.from([
    Math.cos(t) * s[0]!,
    -Math.sin(t) * s[1]!,
    0,
    -10,
    Math.sin(t) * s[0]!,
    Math.cos(t) * s[1]!,
    0,
    5,
    0,
    0,
    s[2]!,
    20,
    0,
    0,
    0,
    1,
  ]);
}

/** A 2-channel float32 image and a uint8 label {0..3} (blocky, so nearest resampling is meaningful). */
export function testSubject(shape: [number, number, number] = [9, 7, 5], seed = 1): Subject {
  const rng = new Rng(seed);
  const n = shape[0] * shape[1] * shape[2];
  const img = new Float32Array(2 * n);
  for (let i = 0; i < img.length; i++) img[i] = rng.normal() + (i >= n ? 3 : 0);
  const lab = new Uint8Array(n);
  let i = 0;
  for (let z = 0; z < shape[2]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[0]; x++, i++)
        lab[i] = (x > shape[0] / 2 ? 1 : 0) + (y > shape[1] / 2 ? 2 : 0) * (z > 1 ? 1 : 0);
  const affine = testAffine();
  return createSubject({
    image: createVolume({ data: img, shape, channels: 2, affine }),
    label: createVolume({ data: lab, shape, affine, kind: 'label' }),
  });
}

export function labelSet(v: Volume): number[] {
  return [...new Set(Array.from(v.data as ArrayLike<number>))].sort((a, b) => a - b);
}

/** numpy-ready nested data: the volume's channel c as a flat list (x fastest) plus shape. */
export function toPy(v: Volume, c = 0): { data: number[]; shape: number[] } {
  const n = v.shape[0] * v.shape[1] * v.shape[2];
  return { data: Array.from(v.data.subarray(c * n, (c + 1) * n) as ArrayLike<number>), shape: [...v.shape] };
}
