import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import {
  EdtWorkspace,
  checkShape,
  checkSpacing,
  squaredEdtInPlace,
  type Shape3,
  type Spacing3,
} from './distance-transform.js';

/**
 * Neighbourhood that defines the surface: 6 (faces), 18 (faces + edges) or 26 (faces, edges and
 * corners) — scipy's `generate_binary_structure(3, 1 | 2 | 3)`.
 */
export type Connectivity = 6 | 18 | 26;

/** Options of {@link extractSurface}. */
export interface SurfaceOptions {
  /** `[nx, ny, nz]`; the mask has nx·ny·nz entries, x fastest. */
  shape: Shape3;
  /** Neighbourhood of the surface test (default 6). */
  connectivity?: Connectivity;
}

/**
 * Surface voxels of a binary mask: the foreground voxels that have at least one background voxel in
 * their `connectivity`-neighbourhood, where voxels outside the grid count as background. This is
 * `mask & ~scipy.ndimage.binary_erosion(mask, generate_binary_structure(3, c), border_value=0)`
 * (c = 1, 2, 3 for 6, 18, 26), the definition MONAI uses.
 *
 * Returns the linear indices (x fastest) of the surface voxels, ascending.
 *
 * @example
 * const m = new Uint8Array(3 * 3 * 3).fill(1);
 * extractSurface(m, { shape: [3, 3, 3] }).length; // 26: every voxel but the centre
 */
export function extractSurface(mask: ArrayLike<number>, options: SurfaceOptions): Int32Array {
  const shape = checkShape(options.shape, 'extractSurface');
  const n = shape[0] * shape[1] * shape[2];
  if (mask.length !== n) {
    throw new ShapeMismatchError(
      `extractSurface: mask has ${mask.length} elements, expected ${n} for shape [${shape.join(', ')}]`,
    );
  }
  const conn = checkConnectivity(options.connectivity ?? 6, 'extractSurface');
  const box = boundingBox([mask], shape);
  if (box === null) return new Int32Array(0);
  return surfaceInBox(mask, shape, box, conn);
}

/** Half-open box [x0, x1) × [y0, y1) × [z0, z1). */
export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  z0: number;
  z1: number;
}

/** Bounding box of the non-zero voxels of every mask together, or null when all are empty. */
export function boundingBox(masks: readonly ArrayLike<number>[], shape: Shape3): Box | null {
  const [nx, ny, nz] = shape;
  let x0 = nx;
  let x1 = -1;
  let y0 = ny;
  let y1 = -1;
  let z0 = nz;
  let z1 = -1;
  for (const m of masks) {
    let p = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        let rowAny = false;
        for (let i = 0; i < nx; i++, p++) {
          if (m[p] !== 0) {
            rowAny = true;
            if (i < x0) x0 = i;
            if (i > x1) x1 = i;
          }
        }
        if (rowAny) {
          if (j < y0) y0 = j;
          if (j > y1) y1 = j;
          if (k < z0) z0 = k;
          if (k > z1) z1 = k;
        }
      }
    }
  }
  if (x1 < 0) return null;
  return { x0, x1: x1 + 1, y0, y1: y1 + 1, z0, z1: z1 + 1 };
}

function neighbourOffsets(conn: Connectivity): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const m = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (m === 0) continue;
        if (conn === 6 && m > 1) continue;
        if (conn === 18 && m > 2) continue;
        out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

/**
 * Surface voxels of `mask` inside `box` (the box must contain every foreground voxel). Returns
 * full-grid linear indices, ascending.
 */
export function surfaceInBox(
  mask: ArrayLike<number>,
  shape: Shape3,
  box: Box,
  conn: Connectivity,
): Int32Array {
  const [nx, ny, nz] = shape;
  const sxy = nx * ny;
  const offs = neighbourOffsets(conn);
  const lin = offs.map(([dx, dy, dz]) => dx + dy * nx + dz * sxy);
  let cap = 1024;
  let idx = new Int32Array(cap);
  let count = 0;
  const push = (g: number) => {
    if (count === cap) {
      cap *= 2;
      const grown = new Int32Array(cap);
      grown.set(idx);
      idx = grown;
    }
    idx[count] = g;
    count++;
  };
  for (let k = box.z0; k < box.z1; k++) {
    const zEdge = k === 0 || k === nz - 1;
    for (let j = box.y0; j < box.y1; j++) {
      const yEdge = j === 0 || j === ny - 1;
      const rowBase = k * sxy + j * nx;
      for (let i = box.x0; i < box.x1; i++) {
        const p = rowBase + i;
        if (mask[p] === 0) continue;
        let surface = false;
        if (zEdge || yEdge || i === 0 || i === nx - 1) {
          for (const [dx, dy, dz] of offs) {
            const x = i + dx;
            const y = j + dy;
            const z = k + dz;
            if (x < 0 || x >= nx || y < 0 || y >= ny || z < 0 || z >= nz || mask[x + y * nx + z * sxy] === 0) {
              surface = true;
              break;
            }
          }
        } else {
          for (let t = 0; t < lin.length; t++) {
            if (mask[p + lin[t]!] === 0) {
              surface = true;
              break;
            }
          }
        }
        if (surface) push(p);
      }
    }
  }
  return idx.slice(0, count);
}

/** Options of {@link surfaceDistances}. */
export interface SurfaceDistanceOptions {
  /** `[nx, ny, nz]` of both masks. */
  shape: Shape3;
  /** Voxel size in mm along x, y, z (default `[1, 1, 1]`). */
  spacingMm?: Spacing3;
  /** Neighbourhood of the surface test (default 6), see {@link extractSurface}. */
  connectivity?: Connectivity;
}

/** Directed surface distances between two masks, in mm. */
export interface SurfaceDistances {
  /** For each surface voxel of `a` (ascending index), the distance to the nearest surface voxel of `b`. */
  aToB: Float64Array;
  /** For each surface voxel of `b`, the distance to the nearest surface voxel of `a`. */
  bToA: Float64Array;
  /** Linear indices of the surface voxels of `a` and `b`. */
  surfaceA: Int32Array;
  surfaceB: Int32Array;
}

/**
 * Directed surface-to-surface distances (mm) between two binary masks on the same grid: from every
 * surface voxel of one mask (see {@link extractSurface}) to the nearest surface voxel centre of the
 * other, through an exact anisotropic EDT. The EDT runs only inside the bounding box of both masks
 * (exact, since every source and target voxel lies in it), and its last pass only on the columns that
 * hold a query voxel. When either mask is empty, both arrays are empty.
 *
 * @example
 * const a = new Uint8Array(7 * 6 * 5); a[2 + 3 * 7 + 2 * 42] = 1;
 * const b = new Uint8Array(7 * 6 * 5); b[5 + 3 * 7 + 2 * 42] = 1;
 * surfaceDistances(a, b, { shape: [7, 6, 5], spacingMm: [0.5, 1, 1] }).aToB; // Float64Array [1.5]
 */
export function surfaceDistances(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: SurfaceDistanceOptions,
): SurfaceDistances {
  const shape = checkShape(options.shape, 'surfaceDistances');
  const spacing = checkSpacing(options.spacingMm ?? [1, 1, 1], 'surfaceDistances');
  const conn = checkConnectivity(options.connectivity ?? 6, 'surfaceDistances');
  const n = shape[0] * shape[1] * shape[2];
  for (const [name, m] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (m.length !== n) {
      throw new ShapeMismatchError(
        `surfaceDistances: mask ${name} has ${m.length} elements, expected ${n} for shape [${shape.join(', ')}]`,
      );
    }
  }
  return surfaceDistancesInBoxes(a, b, {
    shape,
    spacing,
    conn,
    boxA: boundingBox([a], shape),
    boxB: boundingBox([b], shape),
  });
}

/** {@link surfaceDistances} after validation, given each mask's bounding box (null when empty). */
export function surfaceDistancesInBoxes(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  o: { shape: Shape3; spacing: Spacing3; conn: Connectivity; boxA: Box | null; boxB: Box | null },
): SurfaceDistances {
  const { shape, spacing, conn, boxA, boxB } = o;
  const empty = new Float64Array(0);
  if (boxA === null || boxB === null) {
    return {
      aToB: empty,
      bToA: empty,
      surfaceA: boxA === null ? new Int32Array(0) : surfaceInBox(a, shape, boxA, conn),
      surfaceB: boxB === null ? new Int32Array(0) : surfaceInBox(b, shape, boxB, conn),
    };
  }
  const box: Box = {
    x0: Math.min(boxA.x0, boxB.x0),
    x1: Math.max(boxA.x1, boxB.x1),
    y0: Math.min(boxA.y0, boxB.y0),
    y1: Math.max(boxA.y1, boxB.y1),
    z0: Math.min(boxA.z0, boxB.z0),
    z1: Math.max(boxA.z1, boxB.z1),
  };
  const bshape: Shape3 = [box.x1 - box.x0, box.y1 - box.y0, box.z1 - box.z0];
  const bn = bshape[0] * bshape[1] * bshape[2];
  const surfaceA = surfaceInBox(a, shape, boxA, conn);
  const surfaceB = surfaceInBox(b, shape, boxB, conn);
  // Full-grid → union-box-local indices.
  const [nx, ny] = shape;
  const remap = (global: Int32Array) => {
    const out = new Int32Array(global.length);
    for (let t = 0; t < global.length; t++) {
      const p = global[t]!;
      const k = Math.floor(p / (nx * ny));
      const r = p - k * nx * ny;
      const j = Math.floor(r / nx);
      const i = r - j * nx;
      out[t] = i - box.x0 + (j - box.y0) * bshape[0] + (k - box.z0) * bshape[0] * bshape[1];
    }
    return out;
  };
  const qa = remap(surfaceA);
  const qb = remap(surfaceB);
  const g = new Float64Array(bn);
  const cols = new Uint8Array(bshape[0] * bshape[1]);
  const ws = new EdtWorkspace(Math.max(bshape[0], bshape[1], bshape[2]));
  const sxy = bshape[0] * bshape[1];
  const directed = (targets: Int32Array, queries: Int32Array): Float64Array => {
    g.fill(Infinity);
    for (let t = 0; t < targets.length; t++) g[targets[t]!] = 0;
    cols.fill(0);
    for (let t = 0; t < queries.length; t++) cols[queries[t]! % sxy] = 1;
    squaredEdtInPlace(g, bshape, spacing, ws, cols);
    const d = new Float64Array(queries.length);
    for (let t = 0; t < queries.length; t++) d[t] = Math.sqrt(g[queries[t]!]!);
    return d;
  };
  const aToB = directed(qb, qa);
  const bToA = directed(qa, qb);
  return { aToB, bToA, surfaceA, surfaceB };
}

export function checkConnectivity(c: number, where: string): Connectivity {
  if (c !== 6 && c !== 18 && c !== 26) {
    throw new InvalidArgumentError(`${where}: connectivity must be 6, 18 or 26, got ${c}`);
  }
  return c;
}
