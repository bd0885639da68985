import { InvalidArgumentError } from '@voxnas/core';
import { translateWindow } from './crop.js';
import type { Volume } from './volume.js';

/**
 * The input offset of a centred pad-or-crop from n to m voxels: for padding the `floor((m − n)/2)`
 * new voxels go before and the rest after; for cropping `floor((n − m)/2)` voxels are removed at the
 * start and the rest at the end (MONAI's SpatialPad / CenterSpatialCrop). Padding then cropping back
 * (or the reverse) restores the original exactly.
 *
 * @example
 * centredOffset(5, 8); // -1: one voxel of padding before, two after
 * centredOffset(8, 5); // 1: crop one voxel at the start, two at the end
 */
export function centredOffset(n: number, m: number): number {
  return (m >= n ? -Math.floor((m - n) / 2) : Math.floor((n - m) / 2)) + 0; // + 0: no -0
}

/** Options of {@link padOrCrop}. */
export interface PadOrCropOptions {
  shape: readonly [number, number, number];
  /** Value of padded voxels (default 0). */
  fill?: number;
}

/**
 * Pads (with `fill`, default 0) and/or crops each axis, centred, to `shape` — see {@link centredOffset}
 * for where the odd voxel goes. World positions are kept (affine A·M, M a translation).
 *
 * @example
 * const fixed = padOrCrop(t1, [96, 96, 96]);
 * const withFill = padOrCrop(ct, { shape: [96, 96, 96], fill: -1024 });
 */
export function padOrCrop(
  volume: Volume,
  shapeOrOptions: readonly [number, number, number] | PadOrCropOptions,
): Volume {
  const options: PadOrCropOptions = Array.isArray(shapeOrOptions)
    ? { shape: shapeOrOptions as readonly [number, number, number] }
    : (shapeOrOptions as PadOrCropOptions);
  const shape = options.shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(
      `padOrCrop: shape must be 3 positive integers, got ${JSON.stringify(shape)}`,
    );
  }
  const fill = options.fill ?? 0;
  if (!Number.isFinite(fill))
    throw new InvalidArgumentError(`padOrCrop: fill must be a finite number, got ${fill}`);
  const offset: [number, number, number] = [0, 1, 2].map((i) =>
    centredOffset(volume.shape[i]!, shape[i]!),
  ) as [number, number, number];
  return translateWindow(volume, offset, [shape[0], shape[1], shape[2]], fill);
}

/** Options of {@link padToMultiple}. */
export interface PadToMultipleOptions {
  /** One multiple for every axis, or one per axis. */
  multiple: number | readonly [number, number, number];
  /** Value of padded voxels (default 0). */
  fill?: number;
}

/**
 * Pads each axis (centred, `fill` default 0) up to the next multiple of `multiple` (e.g. 2**k for a
 * network with k down-samplings). Axes already a multiple are untouched.
 *
 * @example
 * padToMultiple(vol, 16).shape; // [96, 112, 96] for a 91×109×91 volume
 * padToMultiple(ct, { multiple: [16, 16, 8], fill: -1024 });
 */
export function padToMultiple(
  volume: Volume,
  multipleOrOptions: number | readonly [number, number, number] | PadToMultipleOptions,
): Volume {
  const options: PadToMultipleOptions =
    typeof multipleOrOptions === 'number' || Array.isArray(multipleOrOptions)
      ? { multiple: multipleOrOptions as number | readonly [number, number, number] }
      : (multipleOrOptions as PadToMultipleOptions);
  const k = options.multiple;
  const ks = typeof k === 'number' ? [k, k, k] : Array.from(k);
  if (ks.length !== 3 || !ks.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new InvalidArgumentError(
      `padToMultiple: multiple must be a positive integer or 3 of them, got ${JSON.stringify(k)}`,
    );
  }
  const shape = volume.shape.map((n, i) => Math.ceil(n / ks[i]!) * ks[i]!) as [number, number, number];
  return padOrCrop(volume, { shape, fill: options.fill });
}
