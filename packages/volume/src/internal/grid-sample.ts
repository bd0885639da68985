/**
 * The one resampling kernel behind every spatial operation: given M (output voxel → input voxel, 4×4
 * row-major) and an output shape, fills the output grid by trilinear or nearest-neighbour sampling.
 *
 * Domain: an output voxel whose input coordinate lies within [-½, n-½] on every axis (the input voxels'
 * extent) is sampled, otherwise it gets `fill`. Inside that domain linear interpolation clamps its
 * neighbours to the edge (scipy.ndimage mode='nearest'); nearest rounds half up (floor(x + ½)), like scipy
 * order=0. Internal: inputs are trusted.
 */
import type { DType, DTypeArrays, Volume } from '../volume.js';
import { allocData } from '../volume.js';

/** 'linear' = trilinear (images); 'nearest' = nearest neighbour (labels, exact copies). */
export type Interpolation = 'linear' | 'nearest';

type AnyArray = DTypeArrays[DType];

export interface SampleOptions {
  interpolation: Interpolation;
  fill: number;
}

/** Output dtype of a sampling: nearest keeps it; linear gives float32 (float64 stays float64). */
export function sampledDtype(dtype: DType, interpolation: Interpolation): DType {
  if (interpolation === 'nearest') return dtype;
  return dtype === 'float64' ? 'float64' : 'float32';
}

const EPS = 1e-9;

/**
 * M entries within 1e-9 of an integer are snapped to it, so grids that are the same up to rounding
 * (A⁻¹·A, permutations composed with their inverse) sample exactly, and axis-aligned grids take the fast
 * separable path.
 */
export function snapMatrix(M: ArrayLike<number>): Float64Array {
  const o = Float64Array.from(M as ArrayLike<number>);
  for (let i = 0; i < 12; i++) {
    const r = Math.round(o[i]!);
    if (Math.abs(o[i]! - r) < 1e-9) o[i] = r;
  }
  return o;
}

export function sampleGrid(
  v: Volume,
  Min: ArrayLike<number>,
  outShape: readonly [number, number, number],
  opts: SampleOptions,
): AnyArray {
  const M = snapMatrix(Min);
  const [ox, oy, oz] = outShape;
  const nOut = ox * oy * oz;
  const channels = v.channels;
  const out = allocData(sampledDtype(v.dtype, opts.interpolation), nOut * channels);
  if (opts.fill !== 0) out.fill(opts.fill as never);
  const diagonal = M[1] === 0 && M[2] === 0 && M[4] === 0 && M[6] === 0 && M[8] === 0 && M[9] === 0;
  if (diagonal) separable(v, M, outShape, opts, out);
  else general(v, M, outShape, opts, out);
  return out;
}

/** Per-axis tables for a diagonal M: input index pair, weight, validity, for every output coordinate. */
function axisTable(
  scale: number,
  shift: number,
  nOut: number,
  nIn: number,
  stride: number,
  nearest: boolean,
) {
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const w = new Float64Array(nOut);
  const ok = new Uint8Array(nOut);
  for (let o = 0; o < nOut; o++) {
    const f = scale * o + shift;
    if (!(f >= -0.5 - EPS && f <= nIn - 0.5 + EPS)) continue;
    ok[o] = 1;
    if (nearest) {
      let r = Math.floor(f + 0.5);
      if (r < 0) r = 0;
      if (r > nIn - 1) r = nIn - 1;
      i0[o] = r * stride;
      i1[o] = r * stride;
      continue;
    }
    const c = f < 0 ? 0 : f > nIn - 1 ? nIn - 1 : f;
    let b = Math.floor(c);
    if (b > nIn - 2) b = Math.max(0, nIn - 2);
    const t = c - b;
    i0[o] = b * stride;
    i1[o] = (b + 1 < nIn ? b + 1 : b) * stride;
    w[o] = t;
  }
  return { i0, i1, w, ok };
}

function separable(
  v: Volume,
  M: ArrayLike<number>,
  outShape: readonly [number, number, number],
  opts: SampleOptions,
  out: AnyArray,
): void {
  const [nx, ny, nz] = v.shape;
  const [ox, oy, oz] = outShape;
  const nearest = opts.interpolation === 'nearest';
  const tx = axisTable(M[0]!, M[3]!, ox, nx, 1, nearest);
  const ty = axisTable(M[5]!, M[7]!, oy, ny, nx, nearest);
  const tz = axisTable(M[10]!, M[11]!, oz, nz, nx * ny, nearest);
  const nIn = nx * ny * nz;
  const nOut = ox * oy * oz;
  const src = v.data;
  // x range of valid outputs is contiguous (monotone map); find it once
  for (let c = 0; c < v.channels; c++) {
    const ib = c * nIn;
    const obBase = c * nOut;
    for (let z = 0; z < oz; z++) {
      if (!tz.ok[z]) continue;
      const z0 = tz.i0[z]! + ib;
      const z1 = tz.i1[z]! + ib;
      const wz = tz.w[z]!;
      for (let y = 0; y < oy; y++) {
        if (!ty.ok[y]) continue;
        const y0 = ty.i0[y]!;
        const y1 = ty.i1[y]!;
        const wy = ty.w[y]!;
        const ob = obBase + (z * oy + y) * ox;
        if (nearest) {
          const base = z0 + y0;
          for (let x = 0; x < ox; x++) if (tx.ok[x]) out[ob + x] = src[base + tx.i0[x]!]!;
          continue;
        }
        const b00 = z0 + y0;
        const b01 = z0 + y1;
        const b10 = z1 + y0;
        const b11 = z1 + y1;
        const wy1 = wy;
        const wy0 = 1 - wy;
        const wz1 = wz;
        const wz0 = 1 - wz;
        const w00 = wz0 * wy0;
        const w01 = wz0 * wy1;
        const w10 = wz1 * wy0;
        const w11 = wz1 * wy1;
        const xi0 = tx.i0;
        const xi1 = tx.i1;
        const xw = tx.w;
        const xok = tx.ok;
        for (let x = 0; x < ox; x++) {
          if (!xok[x]) continue;
          const a = xi0[x]!;
          const b = xi1[x]!;
          const wx = xw[x]!;
          const v0 = w00 * src[b00 + a]! + w01 * src[b01 + a]! + w10 * src[b10 + a]! + w11 * src[b11 + a]!;
          const v1 = w00 * src[b00 + b]! + w01 * src[b01 + b]! + w10 * src[b10 + b]! + w11 * src[b11 + b]!;
          out[ob + x] = v0 + (v1 - v0) * wx;
        }
      }
    }
  }
}

/**
 * [xa, xb): the output x range (of 0..ox) where b + m·x lies in [lo, hi) — approximate bounds, then
 * tightened by evaluating the same expression the sampler uses, so every x inside is truly inside.
 */
function interiorRange(b: number, m: number, lo: number, hi: number, ox: number): [number, number] {
  const inside = (x: number) => {
    const f = b + m * x;
    return f >= lo && f < hi;
  };
  let xa: number;
  let xb: number;
  if (m === 0) {
    return b >= lo && b < hi ? [0, ox] : [0, 0];
  } else if (m > 0) {
    xa = Math.ceil((lo - b) / m);
    xb = Math.ceil((hi - b) / m);
  } else {
    xa = Math.floor((hi - b) / m) + 1;
    xb = Math.floor((lo - b) / m) + 1;
  }
  xa = Math.max(0, Math.min(ox, Number.isFinite(xa) ? xa : 0));
  xb = Math.max(xa, Math.min(ox, Number.isFinite(xb) ? xb : 0));
  while (xa < xb && !inside(xa)) xa++;
  while (xb > xa && !inside(xb - 1)) xb--;
  return [xa, xb];
}

function general(
  v: Volume,
  M: ArrayLike<number>,
  outShape: readonly [number, number, number],
  opts: SampleOptions,
  out: AnyArray,
): void {
  const [nx, ny, nz] = v.shape;
  const [ox, oy, oz] = outShape;
  const nearest = opts.interpolation === 'nearest';
  const src = v.data;
  const sy = nx;
  const sz = nx * ny;
  const nIn = nx * ny * nz;
  const nOut = ox * oy * oz;
  const channels = v.channels;
  const m00 = M[0]!,
    m01 = M[1]!,
    m02 = M[2]!,
    m03 = M[3]!;
  const m10 = M[4]!,
    m11 = M[5]!,
    m12 = M[6]!,
    m13 = M[7]!;
  const m20 = M[8]!,
    m21 = M[9]!,
    m22 = M[10]!,
    m23 = M[11]!;
  const loX = -0.5 - EPS,
    hiX = nx - 0.5 + EPS;
  const loY = -0.5 - EPS,
    hiY = ny - 0.5 + EPS;
  const loZ = -0.5 - EPS,
    hiZ = nz - 0.5 + EPS;
  const mx = nx - 1,
    my = ny - 1,
    mz = nz - 1;
  // Fast interior: linear needs 0 ≤ f < n−1 (both neighbours exist, no clamping); nearest needs
  // −½ ≤ f < n−½ (rounds into range).
  const fastLo = nearest ? -0.5 : 0;
  const fastHi = (n: number) => (nearest ? n - 0.5 : n - 1);

  /** Edge path: domain check, clamping, any channel count. */
  const slow = (x: number, bx: number, by: number, bz: number, ob: number) => {
    const fx = bx + m00 * x;
    const fy = by + m10 * x;
    const fz = bz + m20 * x;
    if (!(fx >= loX && fx <= hiX && fy >= loY && fy <= hiY && fz >= loZ && fz <= hiZ)) return;
    if (nearest) {
      let ix = Math.floor(fx + 0.5);
      let iy = Math.floor(fy + 0.5);
      let iz = Math.floor(fz + 0.5);
      ix = ix < 0 ? 0 : ix > mx ? mx : ix;
      iy = iy < 0 ? 0 : iy > my ? my : iy;
      iz = iz < 0 ? 0 : iz > mz ? mz : iz;
      const idx = ix + iy * sy + iz * sz;
      for (let c = 0; c < channels; c++) out[c * nOut + ob + x] = src[c * nIn + idx]!;
      return;
    }
    const cx = fx < 0 ? 0 : fx > mx ? mx : fx;
    const cy = fy < 0 ? 0 : fy > my ? my : fy;
    const cz = fz < 0 ? 0 : fz > mz ? mz : fz;
    let ix = Math.floor(cx);
    let iy = Math.floor(cy);
    let iz = Math.floor(cz);
    if (ix >= mx) ix = mx > 0 ? mx - 1 : 0;
    if (iy >= my) iy = my > 0 ? my - 1 : 0;
    if (iz >= mz) iz = mz > 0 ? mz - 1 : 0;
    const wx = cx - ix;
    const wy = cy - iy;
    const wz = cz - iz;
    const dx = ix < mx ? 1 : 0;
    const dy = iy < my ? sy : 0;
    const dz = iz < mz ? sz : 0;
    const i000 = ix + iy * sy + iz * sz;
    for (let c = 0; c < channels; c++) {
      const i = c * nIn + i000;
      const c00 = src[i]! + (src[i + dx]! - src[i]!) * wx;
      const c01 = src[i + dy]! + (src[i + dy + dx]! - src[i + dy]!) * wx;
      const c10 = src[i + dz]! + (src[i + dz + dx]! - src[i + dz]!) * wx;
      const c11 = src[i + dz + dy]! + (src[i + dz + dy + dx]! - src[i + dz + dy]!) * wx;
      const c0 = c00 + (c01 - c00) * wy;
      const c1 = c10 + (c11 - c10) * wy;
      out[c * nOut + ob + x] = c0 + (c1 - c0) * wz;
    }
  };

  for (let z = 0; z < oz; z++) {
    for (let y = 0; y < oy; y++) {
      const bx = m01 * y + m02 * z + m03;
      const by = m11 * y + m12 * z + m13;
      const bz = m21 * y + m22 * z + m23;
      const ob = (z * oy + y) * ox;
      const rx = interiorRange(bx, m00, fastLo, fastHi(nx), ox);
      const ry = interiorRange(by, m10, fastLo, fastHi(ny), ox);
      const rz = interiorRange(bz, m20, fastLo, fastHi(nz), ox);
      const xa = Math.max(rx[0], ry[0], rz[0]);
      const xb = Math.max(xa, Math.min(rx[1], ry[1], rz[1]));
      for (let x = 0; x < xa; x++) slow(x, bx, by, bz, ob);
      if (nearest) {
        for (let x = xa; x < xb; x++) {
          const idx =
            ((bx + m00 * x + 0.5) | 0) + ((by + m10 * x + 0.5) | 0) * sy + ((bz + m20 * x + 0.5) | 0) * sz;
          for (let c = 0; c < channels; c++) out[c * nOut + ob + x] = src[c * nIn + idx]!;
        }
      } else if (channels === 1) {
        for (let x = xa; x < xb; x++) {
          const fx = bx + m00 * x;
          const fy = by + m10 * x;
          const fz = bz + m20 * x;
          const ix = fx | 0;
          const iy = fy | 0;
          const iz = fz | 0;
          const wx = fx - ix;
          const wy = fy - iy;
          const wz = fz - iz;
          const i = ix + iy * sy + iz * sz;
          const a = src[i]!;
          const c00 = a + (src[i + 1]! - a) * wx;
          const b1 = src[i + sy]!;
          const c01 = b1 + (src[i + sy + 1]! - b1) * wx;
          const b2 = src[i + sz]!;
          const c10 = b2 + (src[i + sz + 1]! - b2) * wx;
          const b3 = src[i + sz + sy]!;
          const c11 = b3 + (src[i + sz + sy + 1]! - b3) * wx;
          const c0 = c00 + (c01 - c00) * wy;
          const c1 = c10 + (c11 - c10) * wy;
          out[ob + x] = c0 + (c1 - c0) * wz;
        }
      } else {
        for (let x = xa; x < xb; x++) slow(x, bx, by, bz, ob);
      }
      for (let x = xb; x < ox; x++) slow(x, bx, by, bz, ob);
    }
  }
}

/**
 * Copies an axis-aligned integer window: output voxel (x, y, z) ← input (x + t0, y + t1, z + t2), `fill`
 * outside the input. Exact for any dtype; row copies.
 */
export function shiftCopy(
  v: Volume,
  t: readonly [number, number, number],
  outShape: readonly [number, number, number],
  fill: number,
): AnyArray {
  const [nx, ny, nz] = v.shape;
  const [ox, oy, oz] = outShape;
  const nIn = nx * ny * nz;
  const nOut = ox * oy * oz;
  const out = allocData(v.dtype, nOut * v.channels);
  if (fill !== 0) out.fill(fill as never);
  const x0 = Math.max(0, -t[0]);
  const x1 = Math.min(ox, nx - t[0]);
  if (x1 <= x0) return out;
  const src: AnyArray = v.data;
  for (let c = 0; c < v.channels; c++) {
    for (let z = 0; z < oz; z++) {
      const iz = z + t[2];
      if (iz < 0 || iz >= nz) continue;
      for (let y = 0; y < oy; y++) {
        const iy = y + t[1];
        if (iy < 0 || iy >= ny) continue;
        const ib = c * nIn + (iz * ny + iy) * nx + x0 + t[0];
        out.set(src.subarray(ib, ib + (x1 - x0)), c * nOut + (z * oy + y) * ox + x0);
      }
    }
  }
  return out;
}
