import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';

type Vec3 = [number, number, number];

/** Blends overlapping patch predictions into one volume. */
export interface PatchAggregator {
  /** Adds a patch (`channels` planes of patchShape, x fastest) whose first voxel is at `start`. */
  add(start: readonly number[], data: ArrayLike<number>): void;
  /** Weighted mean per voxel (channels × nx·ny·nz, float32); voxels no patch covered are 0. */
  result(): Float32Array;
}

/**
 * The Gaussian importance map of nnU-Net and MONAI for blending overlapping windows: `exp(−d²/2σ²)` per
 * axis (d from the window centre `(w − 1)/2`, σ = `sigmaScale · w`), multiplied over axes, maximum 1,
 * zeros raised to the smallest positive value (never divide by zero). Layout x fastest.
 *
 * @throws InvalidArgumentError for a window that is not 3 positive integers or `sigmaScale` ≤ 0.
 * @example
 * const w = gaussianImportanceMap([5, 7, 3]); // Float64Array(105), w[52] === 1 (the centre)
 */
export function gaussianImportanceMap(windowSize: readonly number[], sigmaScale = 1 / 8): Float64Array {
  if (!Array.isArray(windowSize) || windowSize.length !== 3 || !windowSize.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(`gaussianImportanceMap: windowSize is [${String(windowSize)}], expected 3 positive integers [x, y, z]`);
  }
  if (!(Number.isFinite(sigmaScale) && sigmaScale > 0)) {
    throw new InvalidArgumentError(`gaussianImportanceMap: sigmaScale is ${sigmaScale}, expected a number > 0`);
  }
  const axes = windowSize.map((w) => {
    const sigma = sigmaScale * w;
    const c = (w - 1) / 2;
    return Float64Array.from({ length: w }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  });
  const [wx, wy, wz] = windowSize as Vec3;
  const out = new Float64Array(wx * wy * wz);
  let min = Infinity;
  for (let z = 0, i = 0; z < wz; z++) {
    for (let y = 0; y < wy; y++) {
      for (let x = 0; x < wx; x++, i++) {
        const v = axes[0]![x]! * axes[1]![y]! * axes[2]![z]!;
        out[i] = v;
        if (v > 0 && v < min) min = v;
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (!(out[i]! > 0)) out[i] = min;
  return out;
}

/**
 * Accumulates patch predictions with Gaussian weights (float64 sums) and returns their weighted mean.
 * Aggregating the `gridPatchStarts` patches of a volume reproduces it exactly.
 *
 * @example
 * const agg = createPatchAggregator({ shape: [48, 40, 32], patchShape: [32, 32, 16], channels: 4 });
 * for (const start of gridPatchStarts({ shape: [48, 40, 32], patchShape: [32, 32, 16] })) agg.add(start, predict(start));
 * const probs = agg.result();
 */
export function createPatchAggregator(o: {
  shape: readonly number[];
  patchShape: readonly number[];
  channels?: number;
  sigmaScale?: number;
}): PatchAggregator {
  const [nx, ny, nz] = o.shape as Vec3;
  const [px, py, pz] = o.patchShape as Vec3;
  const C = o.channels ?? 1;
  if (!(Number.isInteger(C) && C > 0))
    throw new InvalidArgumentError(`createPatchAggregator: channels must be a positive integer, got ${C}`);
  const n = nx * ny * nz,
    pn = px * py * pz;
  const w = gaussianImportanceMap(o.patchShape, o.sigmaScale);
  const sum = new Float64Array(n * C);
  const wsum = new Float64Array(n);
  return {
    add(start, data) {
      if (data.length !== pn * C) {
        throw new ShapeMismatchError(
          `PatchAggregator.add: patch has ${data.length} values, expected ${pn * C} (${C} × [${px}, ${py}, ${pz}])`,
        );
      }
      const [sx, sy, sz] = start as Vec3;
      for (let z = Math.max(0, -sz); z < Math.min(pz, nz - sz); z++)
        for (let y = Math.max(0, -sy); y < Math.min(py, ny - sy); y++)
          for (let x = Math.max(0, -sx); x < Math.min(px, nx - sx); x++) {
            const pi = x + y * px + z * px * py;
            const vi = sx + x + (sy + y) * nx + (sz + z) * nx * ny;
            const wi = w[pi]!;
            wsum[vi]! += wi;
            for (let c = 0; c < C; c++) sum[c * n + vi]! += wi * data[c * pn + pi]!;
          }
    },
    result() {
      const out = new Float32Array(n * C);
      for (let c = 0; c < C; c++)
        for (let i = 0; i < n; i++) out[c * n + i] = wsum[i]! > 0 ? sum[c * n + i]! / wsum[i]! : 0;
      return out;
    },
  };
}
