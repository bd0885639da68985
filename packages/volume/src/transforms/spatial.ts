import { InvalidArgumentError } from '@voxnas/core';
import type { Rng } from '@voxnas/core';
import { createVolume, type Volume } from '../volume.js';
import { linearPart, mat3Inv, mat3Mul, translatedAffine, warp } from './internal/warp.js';
import { mapVolumes, type Subject, type Transform } from './subject.js';

/**
 * Parameters of the fused affine + elastic resampling (all JSON).
 *
 * Output voxel `o` maps to input voxel
 * `c_in + L⁻¹·R·diag(1/scale)·L·(o − c_out) + L⁻¹·d(o)`, where `L` is the input affine's 3×3 part,
 * `c_out = (outShape − 1)/2`, `R = Rz·Ry·Rx` rotates about world axes and `d` is a cubic B-spline
 * displacement (mm) through `elastic.grid` control points spanning the output patch.
 */
export interface SpatialParams {
  inShape: [number, number, number];
  outShape: [number, number, number];
  /** Input voxel coordinate that lands at the output centre. */
  centreVoxel: [number, number, number];
  rotationRad: [number, number, number];
  /** > 1 enlarges the anatomy (zoom in). */
  scale: [number, number, number];
  elastic: { grid: [number, number, number]; displacementMm: number[] } | null;
}

function rotation(r: readonly number[]): Float64Array {
  const [a, b, c] = r as [number, number, number];
  const rx = [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
  const ry = [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)];
  const rz = [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1];
  return mat3Mul(rz, mat3Mul(ry, rx));
}

/** Output voxel → input voxel affine part (3×4) of the params for a volume with affine `a`. */
function voxelMap(a: ArrayLike<number>, p: SpatialParams): Float64Array {
  const L = linearPart(a);
  const Li = mat3Inv(L);
  const S = Float64Array.from([1 / p.scale[0], 0, 0, 0, 1 / p.scale[1], 0, 0, 0, 1 / p.scale[2]]);
  const lin = mat3Mul(Li, mat3Mul(rotation(p.rotationRad), mat3Mul(S, L)));
  const m = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    let t = p.centreVoxel[i]!;
    for (let j = 0; j < 3; j++) {
      m[i * 4 + j] = lin[i * 3 + j]!;
      t -= lin[i * 3 + j]! * ((p.outShape[j]! - 1) / 2);
    }
    m[i * 4 + 3] = t;
  }
  return m;
}

/** Control displacements converted from mm to input-voxel units: [comp][gz][gy][gx]. */
function controlVoxels(a: ArrayLike<number>, e: NonNullable<SpatialParams['elastic']>): Float64Array {
  const Li = mat3Inv(linearPart(a));
  const g = e.grid[0] * e.grid[1] * e.grid[2];
  const out = new Float64Array(3 * g);
  for (let k = 0; k < g; k++) {
    const d = [e.displacementMm[k]!, e.displacementMm[g + k]!, e.displacementMm[2 * g + k]!];
    for (let i = 0; i < 3; i++)
      out[i * g + k] = Li[i * 3]! * d[0]! + Li[i * 3 + 1]! * d[1]! + Li[i * 3 + 2]! * d[2]!;
  }
  return out;
}

/** Cubic B-spline support for coordinate x of n samples over g control points: base index + 4 weights. */
function bspline(x: number, n: number, g: number, w: Float64Array): number {
  const t = n > 1 ? (x / (n - 1)) * (g - 3) : 0;
  const base = Math.min(Math.floor(t), g - 4);
  const u = t - base;
  const u2 = u * u,
    u3 = u2 * u;
  w[0] = ((1 - u) * (1 - u) * (1 - u)) / 6;
  w[1] = (3 * u3 - 6 * u2 + 4) / 6;
  w[2] = (-3 * u3 + 3 * u2 + 3 * u + 1) / 6;
  w[3] = u3 / 6;
  return base;
}

/** Dense displacement (input voxels) over the output grid, planar [dx dy dz], by separable passes. */
function denseField(ctrl: Float64Array, grid: readonly number[], shape: readonly number[]): Float32Array {
  const [gx, gy, gz] = grid as [number, number, number];
  const [nx, ny, nz] = shape as [number, number, number];
  const w = new Float64Array(4);
  const tables = [nx, ny, nz].map((n, ax) => {
    const base = new Int32Array(n);
    const wt = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      base[i] = bspline(i, n, grid[ax]!, w);
      wt.set(w, 4 * i);
    }
    return { base, wt };
  });
  const g = gx * gy * gz;
  const N = nx * ny * nz;
  const field = new Float32Array(3 * N);
  const t1 = new Float64Array(nx * gy * gz);
  const t2 = new Float64Array(nx * ny * gz);
  const [tx, ty, tz] = tables as [(typeof tables)[0], (typeof tables)[0], (typeof tables)[0]];
  for (let c = 0; c < 3; c++) {
    const off = c * g;
    for (let r = 0; r < gy * gz; r++) {
      for (let x = 0; x < nx; x++) {
        const b = tx.base[x]!;
        let s = 0;
        for (let k = 0; k < 4; k++) s += tx.wt[4 * x + k]! * ctrl[off + r * gx + b + k]!;
        t1[r * nx + x] = s;
      }
    }
    for (let z = 0; z < gz; z++) {
      for (let y = 0; y < ny; y++) {
        const b = ty.base[y]!;
        for (let x = 0; x < nx; x++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += ty.wt[4 * y + k]! * t1[(z * gy + b + k) * nx + x]!;
          t2[(z * ny + y) * nx + x] = s;
        }
      }
    }
    for (let z = 0; z < nz; z++) {
      const b = tz.base[z]!;
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += tz.wt[4 * z + k]! * t2[((b + k) * ny + y) * nx + x]!;
          field[c * N + (z * ny + y) * nx + x] = s;
        }
      }
    }
  }
  return field;
}

/** Displacement at one (continuous) output coordinate. */
const wx = new Float64Array(4),
  wy = new Float64Array(4),
  wz = new Float64Array(4);
function fieldAt(
  ctrl: Float64Array,
  grid: readonly number[],
  shape: readonly number[],
  p: ArrayLike<number>,
  out: Float64Array,
): void {
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  const bx = bspline(clamp(p[0]!, shape[0]!), shape[0]!, grid[0]!, wx);
  const by = bspline(clamp(p[1]!, shape[1]!), shape[1]!, grid[1]!, wy);
  const bz = bspline(clamp(p[2]!, shape[2]!), shape[2]!, grid[2]!, wz);
  const [gx, gy, gz] = grid as [number, number, number];
  const g = gx * gy * gz;
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++)
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 4; i++)
          s += wz[k]! * wy[j]! * wx[i]! * ctrl[c * g + ((bz + k) * gy + by + j) * gx + bx + i]!;
    out[c] = s;
  }
}

function checkGrid(v: Volume, shape: readonly number[], where: string): void {
  if (!v.shape.every((n, i) => n === shape[i])) {
    throw new InvalidArgumentError(
      `${where}: volume shape [${v.shape.join(', ')}], expected [${shape.join(', ')}] recorded in params`,
    );
  }
}

function applySpatial(subject: Subject, p: SpatialParams): Subject {
  let field: Float32Array | undefined;
  let fieldAffine: Float64Array | undefined;
  return mapVolumes(subject, (v) => {
    checkGrid(v, p.inShape, 'spatial');
    const map = voxelMap(v.affine, p);
    // One dense field for all volumes that share the affine (image and label usually do).
    if (p.elastic && (!field || !fieldAffine || fieldAffine.some((x, i) => x !== v.affine[i]))) {
      field = denseField(controlVoxels(v.affine, p.elastic), p.elastic.grid, p.outShape);
      fieldAffine = v.affine;
    }
    const data = warp({
      src: v,
      outShape: p.outShape,
      map,
      field,
      mode: v.kind === 'label' ? 'nearest' : 'linear',
    });
    const corner = p.centreVoxel.map((c, i) => c - (p.outShape[i]! - 1) / 2);
    return createVolume({
      data,
      shape: p.outShape,
      channels: v.channels,
      affine: translatedAffine(v.affine, corner),
      kind: v.kind,
    });
  });
}

function invertSpatial(subject: Subject, p: SpatialParams): Subject {
  return mapVolumes(subject, (v) => {
    checkGrid(v, p.outShape, 'spatial.invert');
    const corner = p.centreVoxel.map((c, i) => c - (p.outShape[i]! - 1) / 2);
    const inAffine = translatedAffine(
      v.affine,
      corner.map((c) => -c),
    );
    const m = voxelMap(inAffine, p); // out → in
    const lin = Float64Array.from([m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!]);
    const li = mat3Inv(lin);
    const inv = new Float64Array(12);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) inv[i * 4 + j] = li[i * 3 + j]!;
      inv[i * 4 + 3] = -(li[i * 3]! * m[3]! + li[i * 3 + 1]! * m[7]! + li[i * 3 + 2]! * m[11]!);
    }
    let field: Float32Array | undefined;
    let map = inv;
    if (p.elastic) {
      // Fixed point y = M⁻¹(x − t − d(y)) per input voxel; the result is stored as absolute coordinates.
      const ctrl = controlVoxels(inAffine, p.elastic);
      const [nx, ny, nz] = p.inShape;
      const N = nx * ny * nz;
      field = new Float32Array(3 * N);
      const d = new Float64Array(3);
      const y = new Float64Array(3);
      const q = new Float64Array(3);
      const e = new Float64Array(3);
      let i = 0;
      for (let z = 0; z < nz; z++)
        for (let yy = 0; yy < ny; yy++)
          for (let x = 0; x < nx; x++, i++) {
            q[0] = x - m[3]!;
            q[1] = yy - m[7]!;
            q[2] = z - m[11]!;
            for (let r = 0; r < 3; r++)
              y[r] = li[r * 3]! * q[0]! + li[r * 3 + 1]! * q[1]! + li[r * 3 + 2]! * q[2]!;
            for (let it = 0; it < 20; it++) {
              fieldAt(ctrl, p.elastic.grid, p.outShape, y, d);
              for (let r = 0; r < 3; r++) e[r] = q[r]! - d[r]!;
              for (let r = 0; r < 3; r++)
                y[r] = li[r * 3]! * e[0]! + li[r * 3 + 1]! * e[1]! + li[r * 3 + 2]! * e[2]!;
            }
            field[i] = y[0]!;
            field[N + i] = y[1]!;
            field[2 * N + i] = y[2]!;
          }
      map = new Float64Array(12);
    }
    const data = warp({
      src: v,
      outShape: p.inShape,
      map,
      field,
      mode: v.kind === 'label' ? 'nearest' : 'linear',
    });
    return createVolume({ data, shape: p.inShape, channels: v.channels, affine: inAffine, kind: v.kind });
  });
}

const spatialOps = { name: 'spatial', kind: 'spatial' as const, apply: applySpatial, invert: invertSpatial };

type Vec3 = [number, number, number];

/** Options shared by `spatial` and `randomSpatial`. */
export interface SpatialGridOptions {
  /** Output grid shape (e.g. the patch); default: the input shape. */
  outShape?: Vec3;
  /** Input voxel coordinate placed at the output centre; default: the input centre. */
  centreVoxel?: Vec3;
}

function gridOf(subject: Subject, o: SpatialGridOptions) {
  const v = Object.values(subject.volumes)[0]!;
  const inShape: Vec3 = [v.shape[0], v.shape[1], v.shape[2]];
  return {
    v,
    inShape,
    outShape: (o.outShape ? [...o.outShape] : [...inShape]) as Vec3,
    centreVoxel: (o.centreVoxel ? [...o.centreVoxel] : inShape.map((n) => (n - 1) / 2)) as Vec3,
  };
}

/**
 * Deterministic twin of `randomSpatial`: one resampling pass with the given rotation (radians about
 * world x, y, z), scale and optional elastic control displacements (mm, planar [dx dy dz] over
 * `grid` control points). Images trilinear (float32), labels nearest (dtype kept).
 *
 * Geometry: the output lies on the input grid (same spacing and orientation), translated to the
 * output window: affine = A·T(centreVoxel − (outShape − 1)/2). Rotation/scale/elastic change the data,
 * not the affine — as flips do.
 *
 * @example
 * const t = spatial({ rotationRad: [0, 0, Math.PI / 12], scale: [1.1, 1.1, 1.1], outShape: [32, 32, 16] });
 */
export function spatial(
  options: SpatialGridOptions & {
    rotationRad?: Vec3;
    scale?: Vec3;
    elastic?: { grid: Vec3; displacementMm: number[] } | null;
  },
): Transform<SpatialParams> {
  return {
    ...spatialOps,
    sample: (_rng, subject) => {
      const g = gridOf(subject, options);
      return {
        inShape: g.inShape,
        outShape: g.outShape,
        centreVoxel: g.centreVoxel,
        rotationRad: options.rotationRad ?? [0, 0, 0],
        scale: options.scale ?? [1, 1, 1],
        elastic: options.elastic ?? null,
      };
    },
  };
}

/** Options of `randomSpatial`. */
export interface RandomSpatialOptions extends SpatialGridOptions {
  /** Max |angle| in degrees about world x, y, z (uniform in ±). Default [15, 15, 15]. */
  rotationDeg?: Vec3;
  /** Scale range [lo, hi], drawn once for all axes unless `anisotropicScale`. Default [0.85, 1.25]. */
  scale?: [number, number];
  anisotropicScale?: boolean;
  /** Random shift of the centre in mm (uniform in ±, per world axis). Default 0. */
  translationMm?: number;
  /** Elastic deformation: control points per axis (≥ 4) and displacement σ in mm; `p` its own probability. */
  elastic?: { controlPoints?: number; sigmaMm?: number; p?: number } | false;
  /** Probabilities of drawing a rotation / scale (else identity). Default 1. */
  pRotation?: number;
  pScale?: number;
  p?: number;
}

/**
 * Random affine (rotation, scaling, translation) + elastic deformation fused into ONE resampling pass
 * (labels by nearest). See `spatial` for the geometry convention. Inverse: `invert` (elastic part by a
 * fixed-point iteration, accurate for smooth, moderate displacements).
 *
 * @example
 * const t = randomSpatial({ outShape: [64, 64, 64], rotationDeg: [15, 15, 15], elastic: { sigmaMm: 3 } });
 */
export function randomSpatial(options: RandomSpatialOptions = {}): Transform<SpatialParams> {
  const rot = options.rotationDeg ?? [15, 15, 15];
  const [slo, shi] = options.scale ?? [0.85, 1.25];
  if (!(slo > 0 && shi >= slo))
    throw new InvalidArgumentError(`randomSpatial: scale range [${slo}, ${shi}] must satisfy 0 < lo ≤ hi`);
  const el = options.elastic === false || options.elastic === undefined ? null : options.elastic;
  const cp = el?.controlPoints ?? 5;
  if (el && !(Number.isInteger(cp) && cp >= 4))
    throw new InvalidArgumentError(`randomSpatial: elastic.controlPoints must be an integer ≥ 4, got ${cp}`);
  // With an `outShape` this transform also extracts the patch, so `p` must gate only the augmentation:
  // when it does not fire, the patch is still resampled (identity parameters = an exact crop).
  const gateInside = options.outShape !== undefined && options.p !== undefined;
  return {
    ...spatialOps,
    ...(options.p !== undefined && !gateInside ? { p: options.p } : {}),
    sample: (rng: Rng, subject) => {
      const g = gridOf(subject, options);
      const rotationRad: Vec3 = [0, 0, 0];
      if (gateInside && !(rng.float() < options.p!)) {
        return { inShape: g.inShape, outShape: g.outShape, centreVoxel: g.centreVoxel, rotationRad, scale: [1, 1, 1], elastic: null };
      }
      if (rng.float() < (options.pRotation ?? 1))
        for (let i = 0; i < 3; i++) rotationRad[i] = (rng.uniform(-1, 1) * rot[i]! * Math.PI) / 180;
      let scale: Vec3 = [1, 1, 1];
      if (rng.float() < (options.pScale ?? 1)) {
        const s = rng.uniform(slo, shi);
        scale = options.anisotropicScale ? [s, rng.uniform(slo, shi), rng.uniform(slo, shi)] : [s, s, s];
      }
      const t = options.translationMm ?? 0;
      if (t > 0) {
        const Li = mat3Inv(linearPart(g.v.affine));
        const d = [rng.uniform(-t, t), rng.uniform(-t, t), rng.uniform(-t, t)];
        for (let i = 0; i < 3; i++)
          g.centreVoxel[i]! += Li[i * 3]! * d[0]! + Li[i * 3 + 1]! * d[1]! + Li[i * 3 + 2]! * d[2]!;
      }
      let elastic: SpatialParams['elastic'] = null;
      if (el && rng.float() < (el.p ?? 1)) {
        const sigma = el.sigmaMm ?? 3;
        const displacementMm = Array.from({ length: 3 * cp * cp * cp }, () => rng.normal() * sigma);
        elastic = { grid: [cp, cp, cp], displacementMm };
      }
      return {
        inShape: g.inShape,
        outShape: g.outShape,
        centreVoxel: g.centreVoxel,
        rotationRad,
        scale,
        elastic,
      };
    },
  };
}

/** @internal */
export const SPATIAL_OPS = spatialOps;
