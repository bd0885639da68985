import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/volume';

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
  constructor(readonly maxLength: number) {
    this.line = new Float64Array(maxLength);
    this.out = new Float64Array(maxLength);
    this.v = new Int32Array(maxLength);
    this.z = new Float64Array(maxLength + 1);
  }
}

/**
 * 1D squared-distance lower envelope: out[q] = min_p (f[p] + ((q - p)·s)²), skipping infinite f[p].
 * Returns false when every f is infinite (out is then untouched).
 */
function envelope1d(f: Float64Array, n: number, s: number, out: Float64Array, v: Int32Array, z: Float64Array): boolean {
  let k = -1;
  const s2 = s * s;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
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
      sq = (hq - (f[r]! + r * r * s2)) / (2 * s2 * (q - r));
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
    out[q] = d * d + f[r]!;
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
      envelope1d(line, nx, spacing[0], out, v, z);
      for (let i = 0; i < nx; i++) g[base + i] = out[i]!;
    }
  }
  // Pass 2: along y.
  if (ny > 1) {
    for (let k = 0; k < nz; k++) {
      for (let i = 0; i < nx; i++) {
        const base = k * sxy + i;
        let any = false;
        for (let j = 0, p = base; j < ny; j++, p += nx) {
          const x = g[p]!;
          line[j] = x;
          if (x !== Infinity) any = true;
        }
        if (!any) continue;
        envelope1d(line, ny, spacing[1], out, v, z);
        for (let j = 0, p = base; j < ny; j++, p += nx) g[p] = out[j]!;
      }
    }
  }
  // Pass 3: along z.
  if (nz > 1) {
    for (let c = 0; c < sxy; c++) {
      if (zColumns !== null && zColumns[c] === 0) continue;
      let any = false;
      for (let k = 0, p = c; k < nz; k++, p += sxy) {
        const x = g[p]!;
        line[k] = x;
        if (x !== Infinity) any = true;
      }
      if (!any) continue;
      envelope1d(line, nz, spacing[2], out, v, z);
      for (let k = 0, p = c; k < nz; k++, p += sxy) g[p] = out[k]!;
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
