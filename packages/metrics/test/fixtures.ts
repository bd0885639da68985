/** Mask builders shared by tests and the benchmark (never exported from the package). */
import type { Rng } from '@voxnas/core';

export type Shape3 = readonly [number, number, number];

/** Filled ellipsoid (centre and radii in voxels), x fastest. */
export function ellipsoidMask(
  shape: Shape3,
  centre: readonly [number, number, number],
  radii: readonly [number, number, number],
): Uint8Array {
  const [nx, ny, nz] = shape;
  const m = new Uint8Array(nx * ny * nz);
  let p = 0;
  for (let k = 0; k < nz; k++) {
    const dz = (k - centre[2]) / radii[2];
    for (let j = 0; j < ny; j++) {
      const dy = (j - centre[1]) / radii[1];
      for (let i = 0; i < nx; i++, p++) {
        const dx = (i - centre[0]) / radii[0];
        if (dx * dx + dy * dy + dz * dz <= 1) m[p] = 1;
      }
    }
  }
  return m;
}

/** Random blobby mask: union of a few random ellipsoids plus salt noise with probability `noise`. */
export function randomBlobMask(rng: Rng, shape: Shape3, { blobs = 3, noise = 0.02 } = {}): Uint8Array {
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let b = 0; b < blobs; b++) {
    const c = [rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(0, shape[2])] as const;
    const r = [rng.uniform(1, shape[0] / 2), rng.uniform(1, shape[1] / 2), rng.uniform(1, shape[2] / 2)] as const;
    const e = ellipsoidMask(shape, c, r);
    for (let i = 0; i < m.length; i++) m[i]! |= e[i]!;
  }
  for (let i = 0; i < m.length; i++) if (rng.float() < noise) m[i] = 1 - m[i]!;
  return m;
}

/** Random label map with labels 0..labels-1 from overlapping blobs (later labels overwrite). */
export function randomLabelMap(rng: Rng, shape: Shape3, labels: number): Int16Array {
  const out = new Int16Array(shape[0] * shape[1] * shape[2]);
  for (let l = 1; l < labels; l++) {
    const m = randomBlobMask(rng, shape, { blobs: 2, noise: 0.01 });
    for (let i = 0; i < out.length; i++) if (m[i]) out[i] = l;
  }
  return out;
}

/** A plausible "prediction" of `m`: shifted by `shift` voxels, then `noise` of the voxels flipped. */
export function perturbMask(
  rng: Rng,
  m: ArrayLike<number>,
  shape: Shape3,
  { shift = [1, 0, -1] as readonly [number, number, number], noise = 0.02 } = {},
): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0, p = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        const x = i - shift[0];
        const y = j - shift[1];
        const z = k - shift[2];
        if (x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz && m[x + y * nx + z * nx * ny]) out[p] = 1;
      }
  for (let i = 0; i < out.length; i++) if (rng.float() < noise) out[i] = 1 - out[i]!;
  return out;
}
