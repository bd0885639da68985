import { InvalidArgumentError, ShapeMismatchError, multiplyAffine } from '@voxnas/core';
import { shiftCopy } from './internal/grid-sample.js';
import { createVolume } from './volume.js';
import type { Volume } from './volume.js';

type Vec3 = [number, number, number];

/** A voxel box: `start` inclusive, `end` exclusive, per axis (x, y, z). */
export interface Box {
  readonly start: readonly [number, number, number];
  readonly end: readonly [number, number, number];
}

/**
 * Copies the integer window of `volume` whose output voxel (0,0,0) is input voxel `offset`, with output
 * `shape`; voxels outside the input get `fill`. M is a pure translation, the affine becomes A·M. Shared
 * by crop, padOrCrop and padToMultiple.
 */
export function translateWindow(volume: Volume, offset: Vec3, shape: Vec3, fill: number): Volume {
  const data = shiftCopy(volume, offset, shape, fill);
  const M = Float64Array.from([1, 0, 0, offset[0], 0, 1, 0, offset[1], 0, 0, 1, offset[2], 0, 0, 0, 1]);
  return createVolume({
    data,
    shape,
    channels: volume.channels,
    affine: multiplyAffine(volume.affine, M),
    kind: volume.kind,
  });
}

/**
 * The smallest box holding every voxel whose value is > `threshold` (default 0) in any channel, or null
 * when there is none.
 *
 * @example
 * boundingBox(mask); // { start: [12, 30, 4], end: [97, 150, 120] }
 */
export function boundingBox(volume: Volume, options: { threshold?: number } = {}): Box | null {
  const th = options.threshold ?? 0;
  if (typeof th !== 'number' || Number.isNaN(th))
    throw new InvalidArgumentError(`boundingBox: threshold must be a number, got ${String(th)}`);
  const [nx, ny, nz] = volume.shape;
  const n = nx * ny * nz;
  const d = volume.data;
  let x0 = nx,
    y0 = ny,
    z0 = nz,
    x1 = -1,
    y1 = -1,
    z1 = -1;
  for (let c = 0; c < volume.channels; c++) {
    let i = c * n;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        let first = -1;
        let last = -1;
        for (let x = 0; x < nx; x++, i++) {
          if (d[i]! > th) {
            if (first < 0) first = x;
            last = x;
          }
        }
        if (first >= 0) {
          if (first < x0) x0 = first;
          if (last > x1) x1 = last;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
          if (z < z0) z0 = z;
          if (z > z1) z1 = z;
        }
      }
    }
  }
  if (x1 < 0) return null;
  return { start: [x0, y0, z0], end: [x1 + 1, y1 + 1, z1 + 1] };
}

/**
 * Crops to the box [start, end) (end exclusive, per axis). The box may extend beyond the volume; voxels
 * outside are filled with `fill` (default 0). World positions are kept (affine A·M, M a translation).
 *
 * @example
 * const roi = crop(t1, { start: [10, 20, 5], end: [74, 84, 69] }); // 64×64×64
 */
export function crop(volume: Volume, box: Box & { fill?: number }): Volume {
  const s = box.start;
  const e = box.end;
  const ok = (v: readonly number[]) => Array.isArray(v) && v.length === 3 && v.every(Number.isInteger);
  if (!ok(s) || !ok(e) || s.some((x, i) => e[i]! <= x)) {
    throw new InvalidArgumentError(
      `crop: box must have integer start < end on every axis, got start ${JSON.stringify(s)} end ${JSON.stringify(e)}`,
    );
  }
  return translateWindow(volume, [s[0], s[1], s[2]], [e[0] - s[0], e[1] - s[1], e[2] - s[2]], box.fill ?? 0);
}

/** Options of {@link cropToForeground}. */
export interface CropToForegroundOptions {
  /** Voxels added around the box on each side, clamped to the volume (one number or per axis; default 0). */
  margin?: number | readonly [number, number, number];
  /** Foreground is value > threshold (default 0). */
  threshold?: number;
  /** Take the foreground from this volume (same grid), e.g. crop an image to its brain mask. */
  mask?: Volume;
}

/**
 * Crops to the bounding box of the foreground (value > threshold in any channel of `mask ?? volume`),
 * grown by `margin` voxels and clamped to the volume.
 *
 * @throws InvalidArgumentError when there is no foreground; ShapeMismatchError when `mask`'s grid differs.
 * @example
 * const brain = cropToForeground(t1, { mask: brainMask, margin: 4 });
 */
export function cropToForeground(volume: Volume, options: CropToForegroundOptions = {}): Volume {
  const m = options.margin ?? 0;
  const margin = typeof m === 'number' ? [m, m, m] : Array.from(m);
  if (margin.length !== 3 || !margin.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new InvalidArgumentError(
      `cropToForeground: margin must be a non-negative integer or 3 of them, got ${JSON.stringify(m)}`,
    );
  }
  const src = options.mask ?? volume;
  if (options.mask) {
    const same =
      src.shape.every((n, i) => n === volume.shape[i]) &&
      src.affine.every((a, i) => Math.abs(a - volume.affine[i]!) <= 1e-6 * (1 + Math.abs(a)));
    if (!same) {
      throw new ShapeMismatchError(
        `cropToForeground: mask grid ${src.shape.join('×')} differs from the volume's ${volume.shape.join('×')} (shape and affine must match)`,
      );
    }
  }
  const box = boundingBox(src, { threshold: options.threshold });
  if (!box)
    throw new InvalidArgumentError(
      `cropToForeground: no voxel > ${options.threshold ?? 0}, expected some foreground`,
    );
  const start: Vec3 = [0, 0, 0];
  const end: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    start[i] = Math.max(0, box.start[i]! - margin[i]!);
    end[i] = Math.min(volume.shape[i]!, box.end[i]! + margin[i]!);
  }
  return crop(volume, { start, end });
}
