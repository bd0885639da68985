import { InvalidArgumentError } from '@voxnas/core';
import { allocData, createVolume, type Volume } from '../volume.js';

type Vec3 = [number, number, number];

/**
 * Window start positions along one axis, as MONAI and nnU-Net tile: a step of `⌊w·(1 − overlap)⌋` (at least
 * 1) from 0, with the last window flush with the end. An axis shorter than the window gets one window at
 * 0. The one tiling rule of voxnas: {@link gridPatchStarts} and `slidingWindowInference` of
 * `@voxnas/train` use it.
 *
 * @throws InvalidArgumentError when `size` or `window` is not a positive integer or `overlap` ∉ [0, 1).
 * @example
 * windowStarts(10, 4, 0.5); // [0, 2, 4, 6]
 * windowStarts(11, 4, 0.5); // [0, 2, 4, 6, 7]
 */
export function windowStarts(size: number, window: number, overlap: number): number[] {
  if (!(Number.isInteger(size) && size > 0)) throw new InvalidArgumentError(`windowStarts: size is ${size}, expected an integer > 0`);
  if (!(Number.isInteger(window) && window > 0)) {
    throw new InvalidArgumentError(`windowStarts: window is ${window}, expected an integer > 0`);
  }
  if (!(overlap >= 0 && overlap < 1)) throw new InvalidArgumentError(`windowStarts: overlap is ${overlap}, expected a number in [0, 1)`);
  if (size <= window) return [0];
  const step = Math.max(1, Math.floor(window * (1 - overlap)));
  const count = Math.ceil((size - window) / step) + 1;
  return Array.from({ length: count }, (_, i) => Math.min(i * step, size - window));
}

/**
 * Patch starts that tile a volume for inference: {@link windowStarts} per axis. Order: x fastest, then
 * y, then z.
 *
 * @example
 * gridPatchStarts({ shape: [48, 40, 32], patchShape: [32, 32, 16], overlap: 0.5 });
 */
export function gridPatchStarts(o: {
  shape: readonly number[];
  patchShape: readonly number[];
  overlap?: number;
}): Vec3[] {
  const overlap = o.overlap ?? 0.5;
  const axes = [0, 1, 2].map((a) => windowStarts(o.shape[a]!, o.patchShape[a]!, overlap));
  const out: Vec3[] = [];
  for (const z of axes[2]!) for (const y of axes[1]!) for (const x of axes[0]!) out.push([x, y, z]);
  return out;
}

/**
 * Copies the patch at `start` (may be negative or overhang: outside voxels are `fill`, default 0) from
 * every channel. The patch's affine is the volume's translated to the patch corner.
 *
 * @example
 * const p = extractPatch(image, { start: [8, 4, 0], patchShape: [32, 32, 16] });
 */
export function extractPatch(
  v: Volume,
  o: { start: readonly number[]; patchShape: readonly number[]; fill?: number },
): Volume {
  const [px, py, pz] = o.patchShape as Vec3;
  const [sx, sy, sz] = o.start as Vec3;
  const [nx, ny, nz] = v.shape;
  const pn = px * py * pz,
    n = nx * ny * nz;
  const out = allocData(v.dtype, pn * v.channels);
  if (o.fill) out.fill(o.fill);
  const x0 = Math.max(0, sx),
    x1 = Math.min(nx, sx + px);
  for (let c = 0; c < v.channels; c++)
    for (let z = Math.max(0, sz); z < Math.min(nz, sz + pz); z++)
      for (let y = Math.max(0, sy); y < Math.min(ny, sy + py); y++) {
        if (x1 <= x0) continue;
        const src = c * n + x0 + y * nx + z * nx * ny;
        const dst = c * pn + (x0 - sx) + (y - sy) * px + (z - sz) * px * py;
        out.set(v.data.subarray(src, src + x1 - x0), dst);
      }
  const a = Float64Array.from(v.affine);
  for (let i = 0; i < 3; i++)
    a[i * 4 + 3] =
      v.affine[i * 4 + 3]! + v.affine[i * 4]! * sx + v.affine[i * 4 + 1]! * sy + v.affine[i * 4 + 2]! * sz;
  return createVolume({ data: out, shape: [px, py, pz], channels: v.channels, affine: a, kind: v.kind });
}
