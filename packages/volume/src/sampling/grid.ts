import { InvalidArgumentError } from '@voxnas/core';
import { allocData, createVolume, type Volume } from '../volume.js';

type Vec3 = [number, number, number];

/**
 * Patch starts that tile a volume for inference: per axis, evenly spaced starts from 0 to n − p with a
 * step of at most p·(1 − overlap) (nnU-Net's rule); an axis shorter than the patch gets one start, 0.
 * Order: x fastest, then y, then z.
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
  if (!(overlap >= 0 && overlap < 1))
    throw new InvalidArgumentError(`gridPatchStarts: overlap must be in [0, 1), got ${overlap}`);
  const axes = [0, 1, 2].map((a) => {
    const n = o.shape[a]!,
      p = o.patchShape[a]!;
    if (!(Number.isInteger(p) && p > 0))
      throw new InvalidArgumentError(
        `gridPatchStarts: patchShape must be positive integers, got [${o.patchShape.join(', ')}]`,
      );
    if (p >= n) return [0];
    const step = Math.max(1, Math.floor(p * (1 - overlap)));
    const num = Math.ceil((n - p) / step) + 1;
    const actual = (n - p) / (num - 1);
    return Array.from({ length: num }, (_, i) => Math.round(i * actual));
  });
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
