/**
 * Quaternion ↔ rotation matrix conversions exactly as nibabel's `nibabel.quaternions` (fillpositive,
 * quat2mat, mat2quat), used for the NIfTI qform. Matrices are 3×3 row-major.
 */
import { polarOrthogonal3, determinant3 } from '@voxnas/core';

const FLOAT_EPS = 2.220446049250313e-16;
/** nibabel's Nifti1Header.quaternion_threshold = -finfo(float32).eps * 3 */
export const QUATERNION_THRESHOLD = -1.1920928955078125e-7 * 3;

/**
 * Full unit quaternion [w, x, y, z] from its last three values, w ≥ 0 (nibabel `fillpositive`).
 * Returns undefined when w² is clearly negative (|bcd| > 1 beyond float32 precision).
 */
export function fillPositive(b: number, c: number, d: number): [number, number, number, number] | undefined {
  const w2 = 1 - (b * b + c * c + d * d);
  let w: number;
  if (w2 < 0) {
    if (w2 < QUATERNION_THRESHOLD) return undefined;
    w = 0;
  } else {
    w = Math.sqrt(w2);
  }
  return [w, b, c, d];
}

/** Rotation matrix of a quaternion [w, x, y, z] (nibabel `quat2mat`). */
export function quatToMat(q: readonly [number, number, number, number]): Float64Array {
  const [w, x, y, z] = q;
  const nq = w * w + x * x + y * y + z * z;
  if (nq < FLOAT_EPS) return Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const s = 2.0 / nq;
  const X = x * s;
  const Y = y * s;
  const Z = z * s;
  const wX = w * X;
  const wY = w * Y;
  const wZ = w * Z;
  const xX = x * X;
  const xY = x * Y;
  const xZ = x * Z;
  const yY = y * Y;
  const yZ = y * Z;
  const zZ = z * Z;
  return Float64Array.from([
    1.0 - (yY + zZ),
    xY - wZ,
    xZ + wY,
    xY + wZ,
    1.0 - (xX + zZ),
    yZ - wX,
    xZ - wY,
    yZ + wX,
    1.0 - (xX + yY),
  ]);
}

/** Symmetric 4×4 eigen-decomposition by cyclic Jacobi; returns the eigenvector of the largest eigenvalue. */
function largestEigenvector4(a: Float64Array): Float64Array {
  const n = 4;
  const m = Float64Array.from(a);
  const v = new Float64Array(16);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (m[i * n + i]! > m[best * n + best]!) best = i;
  return Float64Array.from([v[best]!, v[n + best]!, v[2 * n + best]!, v[3 * n + best]!]);
}

/** Quaternion [w, x, y, z] (w ≥ 0) of a rotation matrix (nibabel `mat2quat`, Bar-Itzhack's method). */
export function matToQuat(M: ArrayLike<number>): [number, number, number, number] {
  const [Qxx, Qyx, Qzx, Qxy, Qyy, Qzy, Qxz, Qyz, Qzz] = Array.from({ length: 9 }, (_, i) => M[i]!) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const K = Float64Array.from([
    Qxx - Qyy - Qzz,
    Qyx + Qxy,
    Qzx + Qxz,
    Qyz - Qzy,
    Qyx + Qxy,
    Qyy - Qxx - Qzz,
    Qzy + Qyz,
    Qzx - Qxz,
    Qzx + Qxz,
    Qzy + Qyz,
    Qzz - Qxx - Qyy,
    Qxy - Qyx,
    Qyz - Qzy,
    Qzx - Qxz,
    Qxy - Qyx,
    Qxx + Qyy + Qzz,
  ]).map((x) => x / 3);
  const e = largestEigenvector4(K);
  let q: [number, number, number, number] = [e[3]!, e[0]!, e[1]!, e[2]!];
  if (q[0] < 0) q = [-q[0], -q[1], -q[2], -q[3]];
  return q;
}

/** qform parameters of an affine, like nibabel `Nifti1Header.set_qform(affine)` with shears stripped. */
export interface QformParams {
  quatern: [number, number, number];
  qoffset: [number, number, number];
  qfac: 1 | -1;
  zooms: [number, number, number];
  /** True when the affine's 3×3 part is not (rotation·diag(zooms)) — the qform is then only the nearest rotation. */
  sheared: boolean;
}

export function affineToQform(a: ArrayLike<number>): QformParams {
  const zooms: [number, number, number] = [0, 1, 2].map((j) => Math.hypot(a[j]!, a[4 + j]!, a[8 + j]!)) as [
    number,
    number,
    number,
  ];
  const R = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R[i * 3 + j] = a[i * 4 + j]! / zooms[j]!;
  let qfac: 1 | -1 = 1;
  const R4 = new Float64Array(16);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R4[i * 4 + j] = R[i * 3 + j]!;
  if (!(determinant3(R4) > 0)) {
    qfac = -1;
    R[2] = -R[2]!;
    R[5] = -R[5]!;
    R[8] = -R[8]!;
  }
  const PR = polarOrthogonal3(R);
  let sheared = false;
  for (let i = 0; i < 9; i++) if (Math.abs(PR[i]! - R[i]!) > 1e-8 + 1e-5 * Math.abs(R[i]!)) sheared = true;
  const q = matToQuat(PR);
  return { quatern: [q[1], q[2], q[3]], qoffset: [a[3]!, a[7]!, a[11]!], qfac, zooms, sheared };
}

/** Affine of qform parameters (nibabel `get_qform`): R(quaternion) · diag(pixdim1, pixdim2, qfac·pixdim3) + qoffset. */
export function qformToAffine(p: {
  quatern: readonly [number, number, number];
  qoffset: readonly [number, number, number];
  qfac: number;
  zooms: readonly [number, number, number];
}): Float64Array | undefined {
  const q = fillPositive(p.quatern[0], p.quatern[1], p.quatern[2]);
  if (!q) return undefined;
  const R = quatToMat(q);
  const vox = [p.zooms[0], p.zooms[1], p.zooms[2] * p.qfac];
  const out = new Float64Array(16);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 4 + j] = R[i * 3 + j]! * vox[j]!;
  out[3] = p.qoffset[0];
  out[7] = p.qoffset[1];
  out[11] = p.qoffset[2];
  out[15] = 1;
  return out;
}
