import { allocData, type DTypeArrays, type DType, type Volume } from '../../volume.js';

/** A 3×4 row-major map from output voxel (x, y, z, 1) to input voxel coordinates. */
export type VoxelMap = Float64Array;

export interface WarpOptions {
  src: Volume;
  outShape: readonly [number, number, number];
  /** Output voxel → input voxel, 3×4 row-major. */
  map: VoxelMap;
  /** Optional dense displacement in input-voxel units, planar [dx(N) dy(N) dz(N)] over the output grid. */
  field?: Float32Array | undefined;
  mode: 'linear' | 'nearest';
  /** Value outside the input (default 0). */
  fill?: number;
}

/**
 * Resamples `src` on a new grid in one pass: p = map·[x y z 1] + field(x, y, z), then trilinear or
 * nearest lookup for every channel. Linear output is float32; nearest keeps the dtype. No per-voxel
 * allocation.
 */
export function warp(o: WarpOptions): DTypeArrays[DType] {
  const [ox, oy, oz] = o.outShape;
  const n = ox * oy * oz;
  const { src, map: m, field } = o;
  const [nx, ny, nz] = src.shape;
  const nxy = nx * ny;
  const nvox = nxy * nz;
  const C = src.channels;
  const fill = o.fill ?? 0;
  const sd = src.data;
  const out = o.mode === 'linear' ? new Float32Array(n * C) : allocData(src.dtype, n * C);
  const m0 = m[0]!,
    m1 = m[1]!,
    m2 = m[2]!,
    m3 = m[3]!;
  const m4 = m[4]!,
    m5 = m[5]!,
    m6 = m[6]!,
    m7 = m[7]!;
  const m8 = m[8]!,
    m9 = m[9]!,
    m10 = m[10]!,
    m11 = m[11]!;
  const nx1 = nx - 1,
    ny1 = ny - 1,
    nz1 = nz - 1;
  let i = 0;
  for (let z = 0; z < oz; z++) {
    for (let y = 0; y < oy; y++) {
      let px = m1 * y + m2 * z + m3;
      let py = m5 * y + m6 * z + m7;
      let pz = m9 * y + m10 * z + m11;
      for (let x = 0; x < ox; x++, i++, px += m0, py += m4, pz += m8) {
        let X = px,
          Y = py,
          Z = pz;
        if (field) {
          X += field[i]!;
          Y += field[n + i]!;
          Z += field[2 * n + i]!;
        }
        if (o.mode === 'nearest') {
          const xi = Math.round(X),
            yi = Math.round(Y),
            zi = Math.round(Z);
          if (xi < 0 || yi < 0 || zi < 0 || xi > nx1 || yi > ny1 || zi > nz1) {
            for (let c = 0; c < C; c++) out[c * n + i] = fill;
          } else {
            const s = xi + yi * nx + zi * nxy;
            for (let c = 0; c < C; c++) out[c * n + i] = sd[c * nvox + s]!;
          }
          continue;
        }
        const x0 = Math.floor(X),
          y0 = Math.floor(Y),
          z0 = Math.floor(Z);
        const fx = X - x0,
          fy = Y - y0,
          fz = Z - z0;
        if (x0 >= 0 && y0 >= 0 && z0 >= 0 && x0 < nx1 && y0 < ny1 && z0 < nz1) {
          const s = x0 + y0 * nx + z0 * nxy;
          const gx = 1 - fx,
            gy = 1 - fy,
            gz = 1 - fz;
          for (let c = 0; c < C; c++) {
            const b = c * nvox + s;
            const v =
              gz * (gy * (gx * sd[b]! + fx * sd[b + 1]!) + fy * (gx * sd[b + nx]! + fx * sd[b + nx + 1]!)) +
              fz *
                (gy * (gx * sd[b + nxy]! + fx * sd[b + nxy + 1]!) +
                  fy * (gx * sd[b + nxy + nx]! + fx * sd[b + nxy + nx + 1]!));
            out[c * n + i] = v;
          }
        } else if (X < -1 || Y < -1 || Z < -1 || X > nx || Y > ny || Z > nz) {
          for (let c = 0; c < C; c++) out[c * n + i] = fill;
        } else {
          // Border: corners outside the input count as `fill`.
          for (let c = 0; c < C; c++) {
            let v = 0;
            for (let k = 0; k < 8; k++) {
              const xx = x0 + (k & 1),
                yy = y0 + ((k >> 1) & 1),
                zz = z0 + ((k >> 2) & 1);
              const w = (k & 1 ? fx : 1 - fx) * (k & 2 ? fy : 1 - fy) * (k & 4 ? fz : 1 - fz);
              if (w === 0) continue;
              const inside = xx >= 0 && yy >= 0 && zz >= 0 && xx <= nx1 && yy <= ny1 && zz <= nz1;
              v += w * (inside ? sd[c * nvox + xx + yy * nx + zz * nxy]! : fill);
            }
            out[c * n + i] = v;
          }
        }
      }
    }
  }
  return out;
}

/** 3×3 helpers (row-major Float64Array(9)). */
export function mat3Mul(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  return r;
}

export function mat3Inv(a: ArrayLike<number>): Float64Array {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = Array.from({ length: 9 }, (_, i) => a[i]!) as number[];
  const c0 = a4! * a8! - a5! * a7!;
  const c1 = a5! * a6! - a3! * a8!;
  const c2 = a3! * a7! - a4! * a6!;
  const det = a0! * c0 + a1! * c1 + a2! * c2;
  const r = new Float64Array(9);
  r[0] = c0 / det;
  r[1] = (a2! * a7! - a1! * a8!) / det;
  r[2] = (a1! * a5! - a2! * a4!) / det;
  r[3] = c1 / det;
  r[4] = (a0! * a8! - a2! * a6!) / det;
  r[5] = (a2! * a3! - a0! * a5!) / det;
  r[6] = c2 / det;
  r[7] = (a1! * a6! - a0! * a7!) / det;
  r[8] = (a0! * a4! - a1! * a3!) / det;
  return r;
}

/** The 3×3 linear part of a 4×4 affine. */
export function linearPart(a: ArrayLike<number>): Float64Array {
  return Float64Array.from([a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!]);
}

/** Affine translated so that output voxel 0 sits at input voxel `corner`: A · T(corner). */
export function translatedAffine(a: ArrayLike<number>, corner: readonly number[]): Float64Array {
  const r = Float64Array.from(a as ArrayLike<number>);
  for (let i = 0; i < 3; i++) {
    r[i * 4 + 3] =
      a[i * 4 + 3]! + a[i * 4]! * corner[0]! + a[i * 4 + 1]! * corner[1]! + a[i * 4 + 2]! * corner[2]!;
  }
  return r;
}

/** Composes 3×4 voxel maps: (a ∘ b)(p) = a(b(p)). */
export function composeMaps(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      let s = j === 3 ? a[i * 4 + 3]! : 0;
      for (let k = 0; k < 3; k++) s += a[i * 4 + k]! * b[k * 4 + j]!;
      r[i * 4 + j] = s;
    }
  }
  return r;
}

export function identityMap(): Float64Array {
  return Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
}
