import { InvalidArgumentError, invertAffine, multiplyAffine } from '@voxnas/core';
import { sampleGrid } from './internal/grid-sample.js';
import type { Interpolation } from './internal/grid-sample.js';
import { resampleAxes, type AxisInterpolation } from './internal/axis-resample.js';
import { createVolume, spacingMm, validateAffine } from './volume.js';
import type { Affine, Volume } from './volume.js';

export type { Interpolation } from './internal/grid-sample.js';
export type { AxisInterpolation } from './internal/axis-resample.js';

/** Options shared by {@link resample} and {@link resampleTo}. */
export interface ResampleOptions {
  /**
   * 'linear' (trilinear; default for images) or 'nearest'. Label volumes are always resampled with
   * 'nearest'; asking for 'linear' on a label volume throws.
   */
  interpolation?: Interpolation;
  /** Value of output voxels whose centre falls outside the input voxels' extent (default 0). */
  fill?: number;
}

/** Target of {@link resample}: a voxel spacing in mm or an output shape (exactly one). */
export interface ResampleGridOptions extends Omit<ResampleOptions, 'interpolation'> {
  /** New voxel size in mm along i, j, k (one number for isotropic). */
  spacingMm?: number | readonly [number, number, number];
  /** New grid shape [nx, ny, nz]. */
  shape?: readonly [number, number, number];
  /**
   * 'linear' (trilinear; default for images), 'nearest', or 'cubic' (cubic B-spline, scipy's
   * `order=3` with `mode='nearest'`; images only, values may overshoot the input range).
   */
  interpolation?: Interpolation | 'cubic';
  /**
   * Interpolation per axis [x, y, z] (images only), overriding `interpolation` — e.g.
   * `['cubic', 'cubic', 'nearest']` resamples the in-plane axes with cubic B-splines and a coarse
   * slice axis separately by nearest neighbour (nnU-Net's rule for very anisotropic data).
   */
  axisInterpolation?: readonly [AxisInterpolation, AxisInterpolation, AxisInterpolation];
}

const AXIS_INTERPOLATIONS: readonly string[] = ['nearest', 'linear', 'cubic'];

function interpolationFor(volume: Volume, opts: ResampleOptions, where: string): Interpolation {
  const requested = opts.interpolation;
  if (requested !== undefined && requested !== 'linear' && requested !== 'nearest') {
    throw new InvalidArgumentError(
      `${where}: interpolation is '${String(requested)}', expected 'linear' or 'nearest'`,
    );
  }
  if (volume.kind === 'label') {
    if (requested === 'linear') {
      throw new InvalidArgumentError(
        `${where}: interpolation 'linear' on a label volume, expected 'nearest' (labels are never interpolated)`,
      );
    }
    return 'nearest';
  }
  return requested ?? 'linear';
}

function checkFill(fill: number | undefined, where: string): number {
  const f = fill ?? 0;
  if (typeof f !== 'number' || !Number.isFinite(f))
    throw new InvalidArgumentError(`${where}: fill must be a finite number, got ${String(fill)}`);
  return f;
}

/**
 * Resamples `volume` on grid `M` (output voxel → input voxel) of `shape`; the result's affine is A·M.
 * The building block of every spatial operation; exported for custom grids.
 *
 * @example
 * // upsample x by 2, keeping the field of view (voxel edges)
 * const M = Float64Array.from([0.5, 0, 0, -0.25, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * const up = resampleGrid(vol, { M, shape: [vol.shape[0] * 2, vol.shape[1], vol.shape[2]] });
 */
export function resampleGrid(
  volume: Volume,
  grid: { M: ArrayLike<number>; shape: readonly [number, number, number] } & ResampleOptions,
): Volume {
  return resampleOnGrid(volume, grid, undefined);
}

/** resampleGrid with an optional exact output affine (resampleTo uses the target's, not A·A⁻¹·A_t). */
function resampleOnGrid(
  volume: Volume,
  grid: { M: ArrayLike<number>; shape: readonly [number, number, number] } & ResampleOptions,
  affine: ArrayLike<number> | undefined,
): Volume {
  const where = 'resampleGrid';
  validateAffine(grid.M, where);
  checkShape(grid.shape, where);
  const interpolation = interpolationFor(volume, grid, where);
  const fill = checkFill(grid.fill, where);
  const data = sampleGrid(volume, grid.M, grid.shape, { interpolation, fill });
  return createVolume({
    data,
    shape: grid.shape,
    channels: volume.channels,
    affine: affine ?? multiplyAffine(volume.affine, grid.M),
    kind: volume.kind,
  });
}

function checkShape(shape: readonly number[], where: string): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(
      `${where}: shape must be 3 positive integers, got ${JSON.stringify(shape)}`,
    );
  }
}

/**
 * Resamples to a new voxel spacing or a new shape over the same field of view (the voxel edges stay
 * where they were): along each axis with zoom f = new/old spacing, output voxel x samples input
 * coordinate (x + ½)·f − ½. For `spacingMm`, f = new/old exactly and n_out = max(1, round(n·old/new));
 * for `shape`, f = n_in/n_out. Images use trilinear interpolation by default (output float32, float64
 * stays float64), or cubic B-splines, or a different interpolation per axis (`axisInterpolation`, done
 * axis by axis); labels nearest (dtype kept; see {@link resampleLabels} for per-class linear
 * interpolation). Multi-channel volumes resample every channel on the same grid.
 *
 * @example
 * const iso = resample(t1, { spacingMm: 1.3 });
 * const small = resample(labels, { shape: [64, 80, 64] }); // nearest: labels stay labels
 * const ct = resample(scan, { spacingMm: [0.8, 0.8, 2.5], axisInterpolation: ['cubic', 'cubic', 'nearest'] });
 */
export function resample(volume: Volume, options: ResampleGridOptions): Volume {
  const where = 'resample';
  const { zoom, shape, M } = axisAlignedGrid(volume, options, where);
  const perAxis = options.axisInterpolation;
  if (perAxis !== undefined || options.interpolation === 'cubic') {
    if (volume.kind === 'label') {
      throw new InvalidArgumentError(
        `${where}: ${perAxis ? 'axisInterpolation' : "interpolation 'cubic'"} on a label volume, expected 'nearest' (use resampleLabels for per-class linear interpolation)`,
      );
    }
    const interp = perAxis ?? (['cubic', 'cubic', 'cubic'] as const);
    if (!Array.isArray(interp) || interp.length !== 3 || !interp.every((i) => AXIS_INTERPOLATIONS.includes(i))) {
      throw new InvalidArgumentError(
        `${where}: axisInterpolation must be 3 of 'nearest', 'linear', 'cubic', got ${JSON.stringify(perAxis)}`,
      );
    }
    const data = resampleAxes(volume.data, {
      shape: volume.shape,
      channels: volume.channels,
      scale: zoom,
      shift: [(zoom[0] - 1) / 2, (zoom[1] - 1) / 2, (zoom[2] - 1) / 2],
      outShape: shape,
      interp,
      fill: checkFill(options.fill, where),
      float64: volume.dtype === 'float64',
    });
    return createVolume({ data, shape, channels: volume.channels, affine: multiplyAffine(volume.affine, M), kind: volume.kind });
  }
  return resampleGrid(volume, { ...options, interpolation: options.interpolation as Interpolation | undefined, M, shape });
}

/**
 * The grid of {@link resample} and {@link resampleLabels}: per-axis zoom f (input voxels per output
 * voxel), output shape and M (output voxel → input voxel, x_in = f·(x + ½) − ½). Internal.
 */
export function axisAlignedGrid(
  volume: Volume,
  options: Pick<ResampleGridOptions, 'spacingMm' | 'shape'>,
  where: string,
): { zoom: [number, number, number]; shape: [number, number, number]; M: Affine } {
  const hasSpacing = options.spacingMm !== undefined;
  const hasShape = options.shape !== undefined;
  if (hasSpacing === hasShape) {
    throw new InvalidArgumentError(
      `${where}: give exactly one of spacingMm or shape, got ${hasSpacing ? 'both' : 'neither'}`,
    );
  }
  const old = spacingMm(volume);
  const zoom: number[] = [];
  const shape: number[] = [];
  if (hasSpacing) {
    const s = options.spacingMm!;
    const sp = typeof s === 'number' ? [s, s, s] : Array.from(s);
    if (sp.length !== 3 || !sp.every((x) => Number.isFinite(x) && x > 0)) {
      throw new InvalidArgumentError(
        `${where}: spacingMm must be a positive number or 3 positive numbers, got ${JSON.stringify(s)}`,
      );
    }
    for (let i = 0; i < 3; i++) {
      zoom.push(sp[i]! / old[i]!);
      shape.push(Math.max(1, Math.round(volume.shape[i]! / zoom[i]!)));
    }
  } else {
    checkShape(options.shape!, where);
    for (let i = 0; i < 3; i++) {
      shape.push(options.shape![i]!);
      zoom.push(volume.shape[i]! / options.shape![i]!);
    }
  }
  const M = new Float64Array(16);
  for (let i = 0; i < 3; i++) {
    M[i * 5] = zoom[i]!;
    M[i * 4 + 3] = (zoom[i]! - 1) / 2;
  }
  M[15] = 1;
  return { zoom: zoom as [number, number, number], shape: shape as [number, number, number], M };
}

/**
 * Resamples `volume` onto the grid of `target` (its shape and affine; any orientation, obliquity or
 * spacing): M = A_volume⁻¹ · A_target, so every output voxel takes the value at its world position.
 * Use it to bring a prediction back onto the input image's grid.
 *
 * @example
 * const onT1 = resampleTo(atlasLabels, t1); // labels → nearest, shape and affine of t1
 */
export function resampleTo(
  volume: Volume,
  target: Pick<Volume, 'shape' | 'affine'>,
  options: ResampleOptions = {},
): Volume {
  validateAffine(target.affine, 'resampleTo');
  const M: Affine = multiplyAffine(invertAffine(volume.affine), target.affine);
  return resampleOnGrid(volume, { ...options, M, shape: target.shape }, target.affine);
}
