import { InvalidArgumentError } from '@voxnas/core';
import type { Volume } from './volume.js';

/**
 * Voxel counts of the connected components (6-neighbourhood, the face neighbours — scipy.ndimage.label's
 * default structure) of the voxels equal to `value` in a 1-channel volume, largest first. An absent
 * value gives `[]`. The smallest entry is the size of the smallest structure of that class.
 *
 * @example
 * componentSizes(labels, { value: 3 }); // [412, 37]: two separate pieces of class 3
 */
export function componentSizes(volume: Volume, options: { value: number }): number[] {
  if (volume.channels !== 1) {
    throw new InvalidArgumentError(`componentSizes: volume has ${volume.channels} channels, expected 1`);
  }
  const value = options.value;
  const [nx, ny, nz] = volume.shape;
  const n = nx * ny * nz;
  const d = volume.data;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  const sizes: number[] = [];
  const sz = nx * ny;
  for (let start = 0; start < n; start++) {
    if (seen[start] || d[start] !== value) continue;
    let head = 0;
    let tail = 0;
    seen[start] = 1;
    queue[tail++] = start;
    const visit = (j: number) => {
      if (!seen[j] && d[j] === value) {
        seen[j] = 1;
        queue[tail++] = j;
      }
    };
    while (head < tail) {
      const i = queue[head++]!;
      const x = i % nx;
      const y = ((i - x) / nx) % ny;
      const z = (i - x - y * nx) / sz;
      if (x > 0) visit(i - 1);
      if (x < nx - 1) visit(i + 1);
      if (y > 0) visit(i - nx);
      if (y < ny - 1) visit(i + nx);
      if (z > 0) visit(i - sz);
      if (z < nz - 1) visit(i + sz);
    }
    sizes.push(tail);
  }
  return sizes.sort((a, b) => b - a);
}
