import { InvalidArgumentError } from '@voxnas/core';
import { allocFloatLike, checkImage, finish, groups } from './internal/intensity-common.js';
import type { Volume } from './volume.js';

/** Options of {@link rescaleIntensity}. */
export interface RescaleIntensityOptions {
  /** Output range (default [0, 1]). */
  outRange?: readonly [number, number];
  /** Input range mapped onto outRange (default: each channel's finite min and max, or all channels' with perChannel false). */
  inRange?: readonly [number, number];
  /** Clip the result to outRange (default true). */
  clip?: boolean;
  /** Min/max per channel (default true) when inRange is not given. */
  perChannel?: boolean;
}

/**
 * Linearly maps [inMin, inMax] onto [outMin, outMax]: y = outMin + (x − inMin)·(outMax − outMin)/(inMax − inMin),
 * clipped to the output range unless `clip: false`. When inMax = inMin every voxel becomes outMin.
 * Output float32 (float64 stays float64). Images only.
 *
 * @example
 * rescaleIntensity(t1);                                          // each channel to [0, 1]
 * rescaleIntensity(ct, { inRange: [-1000, 1000], outRange: [-1, 1] });
 */
export function rescaleIntensity(volume: Volume, options: RescaleIntensityOptions = {}): Volume {
  const where = 'rescaleIntensity';
  checkImage(volume, where);
  const [o0, o1] = options.outRange ?? [0, 1];
  if (!Number.isFinite(o0) || !Number.isFinite(o1))
    throw new InvalidArgumentError(`${where}: outRange must be finite, got [${o0}, ${o1}]`);
  if (options.inRange && !(Number.isFinite(options.inRange[0]) && Number.isFinite(options.inRange[1]))) {
    throw new InvalidArgumentError(`${where}: inRange must be finite, got [${options.inRange.join(', ')}]`);
  }
  const clip = options.clip ?? true;
  const lo = Math.min(o0, o1);
  const hi = Math.max(o0, o1);
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const d = volume.data;
  const out = allocFloatLike(volume);
  for (const chs of groups(volume, options.perChannel ?? true)) {
    let i0: number;
    let i1: number;
    if (options.inRange) [i0, i1] = options.inRange;
    else {
      i0 = Infinity;
      i1 = -Infinity;
      for (const c of chs) {
        for (let i = c * n; i < (c + 1) * n; i++) {
          const x = d[i]!;
          if (x < i0) i0 = x;
          if (x > i1) i1 = x;
        }
      }
      if (i0 > i1) i0 = i1 = 0; // all NaN
    }
    const scale = i1 !== i0 ? (o1 - o0) / (i1 - i0) : 0;
    for (const c of chs) {
      for (let i = c * n; i < (c + 1) * n; i++) {
        let y = o0 + (d[i]! - i0) * scale;
        if (clip) y = y < lo ? lo : y > hi ? hi : y;
        out[i] = y;
      }
    }
  }
  return finish(volume, out);
}

/**
 * CT windowing: clips Hounsfield units to [center − width/2, center + width/2] and maps that window
 * linearly onto `outRange` (default [0, 1]). Common windows: brain (40, 80), soft tissue (40, 400),
 * lung (−600, 1500), bone (400, 1800).
 *
 * @example
 * const soft = windowCt(ct, { center: 40, width: 400 }); // −160 HU → 0, 240 HU → 1
 */
export function windowCt(
  volume: Volume,
  options: { center: number; width: number; outRange?: readonly [number, number] },
): Volume {
  const { center, width } = options;
  if (!Number.isFinite(center) || !(width > 0) || !Number.isFinite(width)) {
    throw new InvalidArgumentError(
      `windowCt: expected a finite center and a positive width, got center ${center} width ${width}`,
    );
  }
  checkImage(volume, 'windowCt');
  return rescaleIntensity(volume, {
    inRange: [center - width / 2, center + width / 2],
    outRange: options.outRange ?? [0, 1],
    clip: true,
  });
}
