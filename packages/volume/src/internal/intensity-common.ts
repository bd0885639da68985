/** Shared plumbing of the intensity functions. Internal. */
import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { createVolume } from '../volume.js';
import type { DTypeArrays, Volume } from '../volume.js';

export type FloatArray = Float32Array | Float64Array;

/** Intensity functions return float32 data (float64 stays float64). */
export function allocFloatLike(v: Volume): FloatArray {
  return v.dtype === 'float64' ? new Float64Array(v.data.length) : new Float32Array(v.data.length);
}

export function checkImage(v: Volume, where: string): void {
  if (v.kind !== 'image') {
    throw new InvalidArgumentError(
      `${where}: volume is a label map, expected kind 'image' (intensity functions never touch labels)`,
    );
  }
}

/** Validates a mask on the same grid (shape; 1 channel or as many as the volume) and returns an accessor. */
export function maskAccessor(
  v: Volume,
  mask: Volume | undefined,
  where: string,
): ((channel: number, i: number) => boolean) | undefined {
  if (!mask) return undefined;
  if (
    !mask.shape.every((n, i) => n === v.shape[i]) ||
    (mask.channels !== 1 && mask.channels !== v.channels)
  ) {
    throw new ShapeMismatchError(
      `${where}: mask is ${mask.shape.join('×')}×${mask.channels}, expected ${v.shape.join('×')} with 1 or ${v.channels} channel(s)`,
    );
  }
  const n = v.shape[0] * v.shape[1] * v.shape[2];
  const md = mask.data;
  return mask.channels === 1 ? (_c, i) => md[i]! > 0 : (c, i) => md[c * n + i]! > 0;
}

export function finish(v: Volume, data: FloatArray): Volume {
  return createVolume({
    data: data as DTypeArrays['float32'],
    shape: v.shape,
    channels: v.channels,
    affine: v.affine,
    kind: v.kind,
  });
}

/** Voxel groups over which statistics are taken: each channel separately, or all channels at once. */
export function groups(v: Volume, perChannel: boolean): number[][] {
  return perChannel
    ? Array.from({ length: v.channels }, (_, c) => [c])
    : [Array.from({ length: v.channels }, (_, c) => c)];
}

/** k-th smallest (0-based) of a[0..n) by in-place quickselect (median of three). */
export function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three into a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Minimum of a[from..n) (used after selectKth(k) to get the (k+1)-th smallest). */
export function minFrom(a: Float64Array, from: number, n: number): number {
  let m = Infinity;
  for (let i = from; i < n; i++) if (a[i]! < m) m = a[i]!;
  return m;
}
