import { createVolume, voxelCount, type Volume } from '@voxnas/volume';

/**
 * Argmax over channels of planar class scores `probs` ([class][voxel], x fastest) on `grid`: the first
 * maximum wins; with one channel, `probability > 0.5`. uint8 up to 256 classes, else int16. Internal.
 */
export function argmaxLabels(
  probs: ArrayLike<number>,
  cout: number,
  grid: Pick<Volume, 'shape' | 'affine'>,
): Volume<'uint8'> | Volume<'int16'> {
  const n = voxelCount(grid.shape);
  const labels = cout <= 256 ? new Uint8Array(n) : new Int16Array(n);
  if (cout === 1) {
    for (let v = 0; v < n; v++) labels[v] = probs[v]! > 0.5 ? 1 : 0;
  } else {
    for (let v = 0; v < n; v++) {
      let best = 0;
      let bestValue = probs[v]!;
      for (let k = 1; k < cout; k++) {
        const p = probs[k * n + v]!;
        if (p > bestValue) {
          best = k;
          bestValue = p;
        }
      }
      labels[v] = best;
    }
  }
  return createVolume({ data: labels, shape: grid.shape, affine: grid.affine, kind: 'label' }) as Volume<'uint8'> | Volume<'int16'>;
}
