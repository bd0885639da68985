/** Helpers for this package's tests only (not exported from index.ts). */
import { invertAffine, Rng } from '@voxnas/core';
import { allocData, createVolume } from '../src/volume.js';
import type { DType, Volume, VolumeKind } from '../src/volume.js';

export function randomVolume(opts: {
  shape: [number, number, number];
  affine?: number[];
  dtype?: DType;
  channels?: number;
  kind?: VolumeKind;
  seed?: number;
  max?: number;
}): Volume {
  const rng = new Rng(opts.seed ?? 1);
  const dtype = opts.dtype ?? 'float32';
  const channels = opts.channels ?? 1;
  const data = allocData(dtype, opts.shape[0] * opts.shape[1] * opts.shape[2] * channels);
  for (let i = 0; i < data.length; i++) {
    data[i] = dtype.startsWith('float') ? rng.normal() * 10 : rng.int(0, opts.max ?? 100);
  }
  return createVolume({ data, shape: opts.shape, channels, affine: opts.affine, kind: opts.kind });
}

/**
 * For every voxel of `out` whose world position is a voxel centre of `input` (integer grid ops), checks
 * the values agree across channels; returns the number of voxels compared and the number that differ.
 */
export function compareAtWorldPoints(
  input: Volume,
  out: Volume,
  fill = 0,
): { compared: number; mismatches: number; outside: number } {
  const inv = invertAffine(input.affine);
  const [nx, ny, nz] = input.shape;
  const [ox, oy, oz] = out.shape;
  const a = out.affine;
  let compared = 0;
  let mismatches = 0;
  let outside = 0;
  for (let z = 0; z < oz; z++) {
    for (let y = 0; y < oy; y++) {
      for (let x = 0; x < ox; x++) {
        const w = [0, 1, 2].map((r) => a[r * 4]! * x + a[r * 4 + 1]! * y + a[r * 4 + 2]! * z + a[r * 4 + 3]!);
        const v = [0, 1, 2].map((r) =>
          Math.round(
            inv[r * 4]! * w[0]! + inv[r * 4 + 1]! * w[1]! + inv[r * 4 + 2]! * w[2]! + inv[r * 4 + 3]!,
          ),
        );
        const inside = v[0]! >= 0 && v[0]! < nx && v[1]! >= 0 && v[1]! < ny && v[2]! >= 0 && v[2]! < nz;
        for (let c = 0; c < out.channels; c++) {
          const got = out.data[c * ox * oy * oz + (z * oy + y) * ox + x]!;
          const want = inside ? input.data[c * nx * ny * nz + (v[2]! * ny + v[1]!) * nx + v[0]!]! : fill;
          if (!inside) outside++;
          compared++;
          if (!Object.is(got, want)) mismatches++;
        }
      }
    }
  }
  return { compared, mismatches, outside };
}

/** Data as a plain array in file order (x fastest). */
export function arr(v: Volume): number[] {
  return Array.from(v.data as ArrayLike<number>);
}
