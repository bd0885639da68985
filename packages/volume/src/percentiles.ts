import { InvalidArgumentError } from '@voxnas/core';
import {
  checkImage,
  finish,
  groups,
  allocFloatLike,
  maskAccessor,
  minFrom,
  selectKth,
} from './internal/intensity-common.js';
import type { Volume } from './volume.js';

/** Options of {@link percentiles} and {@link clipPercentiles}. */
export interface PercentileOptions {
  /** Only voxels where mask > 0 count (same grid; 1 channel or one per channel). */
  mask?: Volume;
  /** Statistics per channel (default true) or over all channels together. */
  perChannel?: boolean;
}

/**
 * Percentiles (0–100) of the voxel values, with numpy's default 'linear' rule: for sorted values v and
 * rank r = q/100·(n − 1), the result is v[⌊r⌋] + (r − ⌊r⌋)·(v[⌊r⌋+1] − v[⌊r⌋]). NaN voxels are ignored.
 * O(n) per percentile (quickselect), no full sort. Returns one array of `qs.length` values per group
 * (each channel, or one group when `perChannel` is false).
 *
 * @throws InvalidArgumentError when q is outside 0..100 or no voxel is selected.
 * @example
 * percentiles(t1, [0.5, 99.5]); // [[lo, hi]] for a 1-channel image
 */
export function percentiles(
  volume: Volume,
  qs: readonly number[],
  options: PercentileOptions = {},
): number[][] {
  const where = 'percentiles';
  for (const q of qs) {
    if (!(q >= 0 && q <= 100)) throw new InvalidArgumentError(`${where}: percentile ${q} is outside 0..100`);
  }
  const inMask = maskAccessor(volume, options.mask, where);
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const d = volume.data;
  return groups(volume, options.perChannel ?? true).map((chs) => {
    const buf = new Float64Array(n * chs.length);
    let m = 0;
    for (const c of chs) {
      const off = c * n;
      for (let i = 0; i < n; i++) {
        const x = d[off + i]!;
        if (x === x && (!inMask || inMask(c, i))) buf[m++] = x;
      }
    }
    if (m === 0)
      throw new InvalidArgumentError(
        `${where}: no voxel selected in channel(s) ${chs.join(', ')}, expected at least one`,
      );
    return qs.map((q) => {
      const r = (q / 100) * (m - 1);
      const k = Math.floor(r);
      const lo = selectKth(buf, m, k);
      const t = r - k;
      if (t === 0) return lo;
      const hi = minFrom(buf, k + 1, m);
      return lo + t * (hi - lo);
    });
  });
}

/**
 * Clips each channel (or all together) to its [lower, upper] percentiles (defaults 0.5 and 99.5),
 * computed as {@link percentiles} (optionally within `mask`). Output float32 (float64 stays float64).
 * Images only.
 *
 * @example
 * const clipped = clipPercentiles(t1, { lower: 1, upper: 99 });
 */
export function clipPercentiles(
  volume: Volume,
  options: PercentileOptions & { lower?: number; upper?: number } = {},
): Volume {
  checkImage(volume, 'clipPercentiles');
  const lower = options.lower ?? 0.5;
  const upper = options.upper ?? 99.5;
  if (!(lower <= upper))
    throw new InvalidArgumentError(
      `clipPercentiles: lower ${lower} > upper ${upper}, expected lower ≤ upper`,
    );
  const bounds = percentiles(volume, [lower, upper], options);
  const perChannel = options.perChannel ?? true;
  const out = allocFloatLike(volume);
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const d = volume.data;
  for (let c = 0; c < volume.channels; c++) {
    const [lo, hi] = bounds[perChannel ? c : 0]! as [number, number];
    const off = c * n;
    for (let i = 0; i < n; i++) {
      const x = d[off + i]!;
      out[off + i] = x < lo ? lo : x > hi ? hi : x;
    }
  }
  return finish(volume, out);
}
