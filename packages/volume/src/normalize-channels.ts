import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { checkImage } from './internal/intensity-common.js';
import { rescaleIntensity } from './rescale-intensity.js';
import { createVolume, voxelCount } from './volume.js';
import type { Volume } from './volume.js';
import { zScore } from './z-score.js';

/**
 * How one channel is normalised (nnU-Net's schemes):
 * - `ct`: clip to the dataset's foreground percentiles `clip` = [p0.5, p99.5], then z-score with the
 *   dataset's foreground `mean` and `sd` — the same transform for every case, so HU keep their meaning;
 * - `z-score`: per case, mean and population sd of the case (`useMask`: only inside `mask`, and voxels
 *   outside the mask become 0 — for images whose cropping removed a large zero background);
 * - `none`: copied unchanged (as float32).
 */
export type ChannelNormalization =
  | { readonly scheme: 'ct'; readonly clip: readonly [number, number]; readonly mean: number; readonly sd: number }
  | { readonly scheme: 'z-score'; readonly useMask?: boolean }
  | { readonly scheme: 'none' };

/** Options of {@link normalizeChannels}. */
export interface NormalizeChannelsOptions {
  /** One scheme per channel, in channel order. */
  readonly channels: readonly ChannelNormalization[];
  /** The non-zero mask (1 channel, same grid) for `z-score` channels with `useMask`. */
  readonly mask?: Volume;
}

/**
 * Normalises each channel of an image with its own scheme (see {@link ChannelNormalization}) and
 * returns a float32 image on the same grid. Built on {@link zScore} and {@link rescaleIntensity} (a CT
 * channel is the linear map of [p0.5, p99.5] onto [(p0.5 − mean)/sd, (p99.5 − mean)/sd], clipped).
 *
 * @throws InvalidArgumentError for a label volume, a scheme count that differs from the channels, a CT
 *   channel with sd ≤ 0 or an unordered clip range, or `useMask` without a mask;
 *   ShapeMismatchError for a mask on another grid.
 * @example
 * const x = normalizeChannels(image, {
 *   channels: [{ scheme: 'ct', clip: [-958, 1327], mean: 94.2, sd: 260.1 }, { scheme: 'z-score' }],
 * });
 */
export function normalizeChannels(image: Volume, options: NormalizeChannelsOptions): Volume<'float32'> {
  const where = 'normalizeChannels';
  checkImage(image, where);
  const schemes = options.channels;
  if (!Array.isArray(schemes) || schemes.length !== image.channels) {
    throw new InvalidArgumentError(
      `${where}: ${Array.isArray(schemes) ? schemes.length : 'no'} channel scheme(s) for an image with ${image.channels} channel(s), expected one per channel`,
    );
  }
  const mask = options.mask;
  if (mask && (mask.channels !== 1 || !mask.shape.every((s, i) => s === image.shape[i]))) {
    throw new ShapeMismatchError(
      `${where}: mask is ${mask.shape.join('×')}×${mask.channels}, expected ${image.shape.join('×')} with 1 channel`,
    );
  }
  const n = voxelCount(image.shape);
  const out = new Float32Array(n * image.channels);
  schemes.forEach((s, c) => {
    const view = createVolume({
      data: image.data.subarray(c * n, (c + 1) * n) as Float32Array,
      shape: image.shape,
      affine: image.affine,
    });
    let res: Volume;
    if (s.scheme === 'ct') {
      const [lo, hi] = s.clip;
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi) || !(s.sd > 0 && Number.isFinite(s.sd)) || !Number.isFinite(s.mean)) {
        throw new InvalidArgumentError(
          `${where}: channel ${c} 'ct' needs finite clip lo ≤ hi, finite mean and sd > 0, got clip [${lo}, ${hi}] mean ${s.mean} sd ${s.sd}`,
        );
      }
      res = rescaleIntensity(view, { inRange: [lo, hi], outRange: [(lo - s.mean) / s.sd, (hi - s.mean) / s.sd], clip: true });
    } else if (s.scheme === 'z-score') {
      if (s.useMask && !mask) throw new InvalidArgumentError(`${where}: channel ${c} 'z-score' with useMask needs options.mask`);
      res = s.useMask ? zScore(view, { mask: mask!, outsideValue: 0 }) : zScore(view);
    } else if (s.scheme === 'none') {
      res = view;
    } else {
      throw new InvalidArgumentError(
        `${where}: channel ${c} scheme is '${String((s as { scheme: unknown }).scheme)}', expected 'ct', 'z-score' or 'none'`,
      );
    }
    out.set(res.data as ArrayLike<number>, c * n);
  });
  return createVolume({ data: out, shape: image.shape, channels: image.channels, affine: image.affine });
}
