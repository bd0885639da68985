import { InvalidArgumentError } from '@voxnas/core';
import { allocFloatLike, checkImage, finish, groups, maskAccessor } from './internal/intensity-common.js';
import type { Volume } from './volume.js';

/** Options of {@link zScore}. */
export interface ZScoreOptions {
  /** Mean and standard deviation are taken over voxels where mask > 0 (same grid; 1 channel or one per channel). */
  mask?: Volume;
  /** Statistics per channel (default true) or over all channels together. */
  perChannel?: boolean;
  /** Voxels outside the mask keep this value instead of being normalised (default: normalise every voxel). */
  outsideValue?: number;
}

/**
 * Z-score normalisation: (x − mean) / std with the population standard deviation (ddof 0, like numpy
 * and MONAI), statistics per channel by default and optionally only within `mask`. A constant group
 * (std 0) is only centred (divided by 1), as MONAI does. NaN voxels are ignored by the statistics and
 * stay NaN. Output float32 (float64 stays float64). Images only.
 *
 * @throws InvalidArgumentError for a label volume or an empty mask.
 * @example
 * const norm = zScore(t1, { mask: brainMask });            // brain voxels: mean 0, std 1
 * const bg0 = zScore(t1, { mask: brainMask, outsideValue: 0 });
 */
export function zScore(volume: Volume, options: ZScoreOptions = {}): Volume {
  const where = 'zScore';
  checkImage(volume, where);
  const inMask = maskAccessor(volume, options.mask, where);
  if (options.outsideValue !== undefined && !inMask) {
    throw new InvalidArgumentError(`${where}: outsideValue needs a mask`);
  }
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const d = volume.data;
  const out = allocFloatLike(volume);
  for (const chs of groups(volume, options.perChannel ?? true)) {
    // two passes in float64 (mean, then squared deviations) for accuracy
    let count = 0;
    let sum = 0;
    for (const c of chs) {
      const off = c * n;
      for (let i = 0; i < n; i++) {
        const x = d[off + i]!;
        if (x === x && (!inMask || inMask(c, i))) {
          sum += x;
          count++;
        }
      }
    }
    if (count === 0)
      throw new InvalidArgumentError(
        `${where}: no voxel selected in channel(s) ${chs.join(', ')}, expected a non-empty mask`,
      );
    const mean = sum / count;
    let ss = 0;
    for (const c of chs) {
      const off = c * n;
      for (let i = 0; i < n; i++) {
        const x = d[off + i]!;
        if (x === x && (!inMask || inMask(c, i))) ss += (x - mean) * (x - mean);
      }
    }
    const std = Math.sqrt(ss / count);
    const inv = std > 0 ? 1 / std : 1;
    const outside = options.outsideValue;
    for (const c of chs) {
      const off = c * n;
      for (let i = 0; i < n; i++) {
        out[off + i] = outside !== undefined && !inMask!(c, i) ? outside : (d[off + i]! - mean) * inv;
      }
    }
  }
  return finish(volume, out);
}
