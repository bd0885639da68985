import { InvalidArgumentError, multiplyAffine } from '@voxnas/core';
import { resampleLabelAxes } from './internal/label-resample.js';
import { axisAlignedGrid } from './resample.js';
import { createVolume } from './volume.js';
import type { Volume } from './volume.js';

/** Options of {@link resampleLabels}: the target (spacing or shape, exactly one) and the interpolation per axis. */
export interface ResampleLabelsOptions {
  /** New voxel size in mm along i, j, k (one number for isotropic). */
  spacingMm?: number | readonly [number, number, number];
  /** New grid shape [nx, ny, nz]. */
  shape?: readonly [number, number, number];
  /**
   * Per axis [x, y, z]: 'linear' (default: the class indicators are interpolated linearly) or
   * 'nearest' (e.g. a coarse slice axis of very anisotropic data, resampled separately as nnU-Net does).
   */
  axisInterpolation?: readonly ['linear' | 'nearest', 'linear' | 'nearest', 'linear' | 'nearest'];
}

/**
 * Resamples a label map to a new spacing or shape over the same field of view (the grid of
 * {@link resample}) by linear interpolation of each class's one-hot map followed by argmax — smooth
 * boundaries without the staircase of nearest neighbour, and no new label values (the output only
 * holds values of the input). Ties go to the larger label value, so a thin structure that covers half
 * of an output voxel is kept. A coarse axis can be taken by nearest neighbour (`axisInterpolation`).
 * The dtype is kept; the affine is A·M like every spatial operation.
 *
 * Equivalent to `argmax_c map_coordinates(label == c, coords, order=1, mode='nearest')` over the
 * classes present (scipy), with ties to the larger class.
 *
 * @throws InvalidArgumentError for an image volume, several channels, or a bad target.
 * @example
 * const seg = resampleLabels(labels, { spacingMm: [0.8, 0.8, 3], axisInterpolation: ['linear', 'linear', 'nearest'] });
 */
export function resampleLabels(volume: Volume, options: ResampleLabelsOptions): Volume {
  const where = 'resampleLabels';
  if (volume.kind !== 'label') {
    throw new InvalidArgumentError(`${where}: volume is an image, expected kind 'label' (use resample for images)`);
  }
  if (volume.channels !== 1) {
    throw new InvalidArgumentError(`${where}: label volume has ${volume.channels} channels, expected 1`);
  }
  const interp = options.axisInterpolation ?? (['linear', 'linear', 'linear'] as const);
  if (!Array.isArray(interp) || interp.length !== 3 || !interp.every((i) => i === 'linear' || i === 'nearest')) {
    throw new InvalidArgumentError(
      `${where}: axisInterpolation must be 3 of 'linear', 'nearest', got ${JSON.stringify(options.axisInterpolation)}`,
    );
  }
  const { zoom, shape, M } = axisAlignedGrid(volume, options, where);
  const data = resampleLabelAxes(volume.data, volume.dtype, {
    shape: volume.shape,
    scale: zoom,
    shift: [(zoom[0] - 1) / 2, (zoom[1] - 1) / 2, (zoom[2] - 1) / 2],
    outShape: shape,
    interp,
    fill: 0,
  });
  return createVolume({ data, shape, affine: multiplyAffine(volume.affine, M), kind: 'label' });
}
