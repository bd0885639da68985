import { createVolume } from './volume.js';
import type { Volume } from './volume.js';

/** Options of {@link nonZeroMask}. */
export interface NonZeroMaskOptions {
  /**
   * Fill holes: zero voxels not connected (6-neighbourhood) to the volume's border become part of the
   * mask, like `scipy.ndimage.binary_fill_holes` (default true, as nnU-Net does).
   */
  fillHoles?: boolean;
}

/**
 * The non-zero region of an image, as nnU-Net crops it: a uint8 label map that is 1 where any channel
 * is non-zero (NaN counts as zero), with enclosed holes filled. Its {@link boundingBox} is the crop
 * box of the "crop to non-zero" step; for CT (air is −1000 HU, never 0) it is the whole volume.
 *
 * @example
 * const mask = nonZeroMask(t1);           // brain-extracted MRI: the head
 * const box = boundingBox(mask);           // { start, end } or null when everything is 0
 */
export function nonZeroMask(volume: Volume, options: NonZeroMaskOptions = {}): Volume<'uint8'> {
  const [nx, ny, nz] = volume.shape;
  const n = nx * ny * nz;
  const d = volume.data;
  const mask = new Uint8Array(n);
  for (let c = 0; c < volume.channels; c++) {
    const off = c * n;
    for (let i = 0; i < n; i++) {
      const v = d[off + i]!;
      if (v !== 0 && v === v) mask[i] = 1;
    }
  }
  if (options.fillHoles ?? true) fillHoles(mask, nx, ny, nz);
  return createVolume({ data: mask, shape: volume.shape, affine: volume.affine, kind: 'label' });
}

/** Sets to 1 every 0 voxel that no 6-connected path of 0 voxels joins to the border. */
function fillHoles(mask: Uint8Array, nx: number, ny: number, nz: number): void {
  const n = mask.length;
  const OUTSIDE = 2;
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  const seed = (i: number) => {
    if (mask[i] === 0) {
      mask[i] = OUTSIDE;
      queue[tail++] = i;
    }
  };
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      if (z === 0 || z === nz - 1 || y === 0 || y === ny - 1) {
        for (let x = 0; x < nx; x++) seed(row + x);
      } else {
        seed(row);
        seed(row + nx - 1);
      }
    }
  }
  const sy = nx;
  const sz = nx * ny;
  while (head < tail) {
    const i = queue[head++]!;
    const x = i % nx;
    const y = ((i - x) / nx) % ny;
    const z = (i - x - y * nx) / sz;
    if (x > 0) seed(i - 1);
    if (x < nx - 1) seed(i + 1);
    if (y > 0) seed(i - sy);
    if (y < ny - 1) seed(i + sy);
    if (z > 0) seed(i - sz);
    if (z < nz - 1) seed(i + sz);
  }
  for (let i = 0; i < n; i++) mask[i] = mask[i] === OUTSIDE ? 0 : 1;
}
