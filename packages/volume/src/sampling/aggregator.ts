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
 * Gaussian importance map of a patch (nnU-Net): exp(−d²/2σ²) with σ = sigmaScale·p per axis, scaled
 * to max 1, zeros raised to the smallest positive value.
 *
 * @example
 * const w = gaussianWeights([32, 32, 16]);
 */
export function gaussianWeights(patchShape: readonly number[], sigmaScale = 1 / 8): Float32Array {
  const [px, py, pz] = patchShape as Vec3;
  const g = [px, py, pz].map((p) =>
    Float64Array.from({ length: p }, (_, i) => {
      const s = sigmaScale * p;
      const d = i - (p - 1) / 2;
      return Math.exp((-0.5 * d * d) / (s * s));
    }),
  );
  const w = new Float32Array(px * py * pz);
  let i = 0,
    max = 0;
  for (let z = 0; z < pz; z++)
    for (let y = 0; y < py; y++)
      for (let x = 0; x < px; x++, i++) max = Math.max(max, (w[i] = g[0]![x]! * g[1]![y]! * g[2]![z]!));
  let minPos = Infinity;
  for (let j = 0; j < w.length; j++) {
    w[j] = w[j]! / max;
    if (w[j]! > 0 && w[j]! < minPos) minPos = w[j]!;
  }
  for (let j = 0; j < w.length; j++) if (w[j] === 0) w[j] = minPos;
  return w;
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
  const w = gaussianWeights(o.patchShape, o.sigmaScale);
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
