import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';

/** Grid shape `[nx, ny, nz]` in NIfTI memory order (x fastest). */
export type Shape3 = readonly [nx: number, ny: number, nz: number];
/** Voxel size `[sx, sy, sz]` in mm along x, y, z. */
export type Spacing3 = readonly [sx: number, sy: number, sz: number];

/** Options of {@link distanceTransformEdt}. */
export interface DistanceTransformOptions {
  /** `[nx, ny, nz]`; `features.length` must equal nx·ny·nz. */
  shape: Shape3;
  /** Voxel size in mm along x, y, z (default `[1, 1, 1]`); distances come out in mm. */
  spacingMm?: Spacing3;
  /** Return squared distances (mm²) instead of distances (default false). */
  squared?: boolean;
}

/**
 * Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher 2012,
 * separable lower envelope of parabolas; O(N) per axis). For every voxel it returns the distance in mm
 * from the voxel centre to the nearest voxel centre where `features[i] !== 0` — 0 on features,
 * `Infinity` everywhere when there is no feature. This equals
 * `scipy.ndimage.distance_transform_edt(features == 0, sampling=spacing)` (scipy measures the distance
 * to the nearest *zero*, so the mask is inverted).
 *
 * Data are x fastest, then y, then z (NIfTI order).
 *
 * @example
 * const f = new Uint8Array(5 * 4 * 3); f[0] = 1;
 * const d = distanceTransformEdt(f, { shape: [5, 4, 3], spacingMm: [1, 1, 2] });
 * d[1]; // 1 (next voxel along x)
 * d[5 * 4]; // 2 (next slice along z)
 */
export function distanceTransformEdt(
  features: ArrayLike<number>,
  options: DistanceTransformOptions,
): Float64Array {
  const shape = checkShape(options.shape, 'distanceTransformEdt');
  const spacing = checkSpacing(options.spacingMm ?? [1, 1, 1], 'distanceTransformEdt');
  const n = shape[0] * shape[1] * shape[2];
  if (features.length !== n) {
    throw new ShapeMismatchError(
      `distanceTransformEdt: features has ${features.length} elements, expected ${n} for shape [${shape.join(', ')}]`,
    );
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = features[i] !== 0 ? 0 : Infinity;
  const ws = new EdtWorkspace(Math.max(shape[0], shape[1], shape[2]));
  squaredEdtInPlace(out, shape, spacing, ws, null);
  if (!options.squared) for (let i = 0; i < n; i++) out[i] = Math.sqrt(out[i]!);
  return out;
}

/** Preallocated buffers of the 1D pass (reused across lines and calls). */
export class EdtWorkspace {
  readonly line: Float64Array;
  readonly out: Float64Array;
  readonly v: Int32Array;
  readonly z: Float64Array;
  /** TILE lines gathered from strided memory, each contiguous. */
  readonly tile: Float64Array;
  readonly done: Uint8Array;
  constructor(readonly maxLength: number) {
    this.line = new Float64Array(maxLength);
    this.out = new Float64Array(maxLength);
    this.v = new Int32Array(maxLength);
    this.z = new Float64Array(maxLength + 1);
    this.tile = new Float64Array(TILE * maxLength);
    this.done = new Uint8Array(TILE);
  }
}

/** Lines processed together in the strided passes, so gathers and scatters touch whole cache lines. */
const TILE = 16;

/**
 * 1D squared-distance lower envelope: out[q] = min_p (f[p] + ((q - p)·s)²), skipping infinite f[p].
 * Returns false when every f is infinite (out is then untouched).
 */
function envelope1d(
  f: Float64Array,
  off: number,
  n: number,
  s: number,
  out: Float64Array,
  v: Int32Array,
  z: Float64Array,
): boolean {
  let k = -1;
  const s2 = s * s;
  for (let q = 0; q < n; q++) {
    const fq = f[off + q]!;
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    const hq = fq + q * q * s2;
    let sq = 0;
    for (;;) {
      const r = v[k]!;
      // Intersection (in index units) of the parabolas rooted at r and q.
      sq = (hq - (f[off + r]! + r * r * s2)) / (2 * s2 * (q - r));
      if (sq <= z[k]!) {
        k--;
        if (k < 0) break;
      } else break;
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = sq;
    z[k + 1] = Infinity;
  }
  if (k < 0) return false;
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const r = v[k]!;
    const d = (q - r) * s;
    out[q] = d * d + f[off + r]!;
  }
  return true;
}

/**
 * In-place squared EDT of `g` (0 on features, Infinity elsewhere) over a dense [nx, ny, nz] grid.
 * When `zColumns` (length nx·ny) is given, the last pass (along z) runs only on columns whose flag is
 * non-zero; other columns keep their partial (x,y) values and must not be read.
 */
export function squaredEdtInPlace(
  g: Float64Array,
  shape: Shape3,
  spacing: Spacing3,
  ws: EdtWorkspace,
  zColumns: Uint8Array | null,
): void {
  const [nx, ny, nz] = shape;
  const { line, out, v, z } = ws;
  const sxy = nx * ny;
  // Pass 1: along x (contiguous).
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const base = k * sxy + j * nx;
      let any = false;
      for (let i = 0; i < nx; i++) {
        const x = g[base + i]!;
        line[i] = x;
        if (x !== Infinity) any = true;
      }
      if (!any) continue;
      envelope1d(line, 0, nx, spacing[0], out, v, z);
      for (let i = 0; i < nx; i++) g[base + i] = out[i]!;
    }
  }
  // Pass 2: along y (lines i = 0 … nx−1 of each slice, stride nx).
  if (ny > 1) for (let k = 0; k < nz; k++) stridedPass(g, k * sxy, nx, nx, ny, spacing[1], ws, null);
  // Pass 3: along z (columns c = 0 … nx·ny−1, stride nx·ny).
  if (nz > 1) stridedPass(g, 0, sxy, sxy, nz, spacing[2], ws, zColumns);
}

/**
 * 1D envelope on `count` lines starting at g[first + t] (t = 0 … count−1), each of `n` elements
 * `stride` apart, processed TILE lines at a time: gather into contiguous rows, transform, scatter.
 * Lines whose `filter[t]` is 0 are skipped.
 */
function stridedPass(
  g: Float64Array,
  first: number,
  count: number,
  stride: number,
  n: number,
  s: number,
  ws: EdtWorkspace,
  filter: Uint8Array | null,
): void {
  const { tile, done, out, v, z } = ws;
  for (let t0 = 0; t0 < count; t0 += TILE) {
    const w = Math.min(TILE, count - t0);
    let anyLine = false;
    for (let u = 0; u < w; u++) {
      done[u] = filter === null || filter[t0 + u] !== 0 ? 1 : 0;
      if (done[u]) anyLine = true;
    }
    if (!anyLine) continue;
    for (let q = 0, row = first + t0; q < n; q++, row += stride) {
      for (let u = 0; u < w; u++) tile[u * n + q] = g[row + u]!;
    }
    let anyDone = false;
    for (let u = 0; u < w; u++) {
      if (!done[u]) continue;
      if (!envelope1d(tile, u * n, n, s, out, v, z)) {
        done[u] = 0;
        continue;
      }
      for (let q = 0, o = u * n; q < n; q++, o++) tile[o] = out[q]!;
      anyDone = true;
    }
    if (!anyDone) continue;
    for (let q = 0, row = first + t0; q < n; q++, row += stride) {
      for (let u = 0; u < w; u++) if (done[u]) g[row + u] = tile[u * n + q]!;
    }
  }
}

export function checkShape(shape: Shape3, where: string): Shape3 {
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(`${where}: shape must be 3 positive integers [nx, ny, nz], got [${shape.join(', ')}]`);
  }
  return shape;
}

export function checkSpacing(spacing: Spacing3, where: string): Spacing3 {
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InvalidArgumentError(
      `${where}: spacingMm must be 3 finite positive numbers [sx, sy, sz], got [${spacing.join(', ')}]`,
    );
  }
  return spacing;
}
