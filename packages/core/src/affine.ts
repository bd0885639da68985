/**
 * Small dense 4×4 and 3×3 matrix maths on row-major arrays: the affine algebra of volume geometry
 * (voxel → world matrices; docs/conventions.md "Geometry"). No input validation: callers pass 16 (or 9) finite
 * numbers; public functions of other packages validate first.
 */

/** A row-major 4×4 matrix. */
export type Matrix4 = Float64Array;

/**
 * The 4×4 identity.
 *
 * @example
 * identityMatrix4()[5]; // 1
 */
export function identityMatrix4(): Matrix4 {
  const m = new Float64Array(16);
  m[0] = m[5] = m[10] = m[15] = 1;
  return m;
}

/**
 * The product `a · b` of two row-major 4×4 matrices (apply `b` first, then `a`).
 *
 * @example
 * multiplyAffine(a, identityMatrix4()); // equals a
 */
export function multiplyAffine(a: ArrayLike<number>, b: ArrayLike<number>): Matrix4 {
  const o = new Float64Array(16);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[i * 4 + k]! * b[k * 4 + j]!;
      o[i * 4 + j] = s;
    }
  }
  return o;
}

/**
 * Inverse of an affine 4×4 (last row 0 0 0 1) through its 3×3 inverse; exact for permutation and
 * flip matrices (no −0).
 *
 * @example
 * multiplyAffine(a, invertAffine(a)); // ≈ identity
 */
export function invertAffine(a: ArrayLike<number>): Matrix4 {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = [
    a[0]!,
    a[1]!,
    a[2]!,
    a[3]!,
    a[4]!,
    a[5]!,
    a[6]!,
    a[7]!,
    a[8]!,
    a[9]!,
    a[10]!,
    a[11]!,
  ];
  const c00 = m11 * m22 - m12 * m21;
  const c01 = m02 * m21 - m01 * m22;
  const c02 = m01 * m12 - m02 * m11;
  const c10 = m12 * m20 - m10 * m22;
  const c11 = m00 * m22 - m02 * m20;
  const c12 = m02 * m10 - m00 * m12;
  const c20 = m10 * m21 - m11 * m20;
  const c21 = m01 * m20 - m00 * m21;
  const c22 = m00 * m11 - m01 * m10;
  const det = m00 * c00 + m01 * c10 + m02 * c20;
  const r = 1 / det;
  const o = new Float64Array(16);
  const inv = [c00 * r, c01 * r, c02 * r, c10 * r, c11 * r, c12 * r, c20 * r, c21 * r, c22 * r];
  // exact for entries that are ±1/0 combos: avoid -0 and rounding when det = ±1
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) o[i * 4 + j] = inv[i * 3 + j]! + 0;
  }
  o[3] = -(o[0]! * t0 + o[1]! * t1 + o[2]! * t2) + 0;
  o[7] = -(o[4]! * t0 + o[5]! * t1 + o[6]! * t2) + 0;
  o[11] = -(o[8]! * t0 + o[9]! * t1 + o[10]! * t2) + 0;
  o[15] = 1;
  return o;
}

/** Determinant of the 3×3 part of a row-major 4×4 matrix. */
export function determinant3(a: ArrayLike<number>): number {
  return (
    a[0]! * (a[5]! * a[10]! - a[6]! * a[9]!) -
    a[1]! * (a[4]! * a[10]! - a[6]! * a[8]!) +
    a[2]! * (a[4]! * a[9]! - a[5]! * a[8]!)
  );
}

/**
 * Applies an affine to a point: `a · [p, 1]`.
 *
 * @example
 * applyAffine(affine, [0, 0, 0]); // the world position of voxel (0, 0, 0)
 */
export function applyAffine(
  a: ArrayLike<number>,
  p: readonly [number, number, number],
): [number, number, number] {
  return [
    a[0]! * p[0] + a[1]! * p[1] + a[2]! * p[2] + a[3]!,
    a[4]! * p[0] + a[5]! * p[1] + a[6]! * p[2] + a[7]!,
    a[8]! * p[0] + a[9]! * p[1] + a[10]! * p[2] + a[11]!,
  ];
}

/** Column norms of the 3×3 part of a 4×4 affine (the voxel sizes along i, j, k). */
export function columnNorms(a: ArrayLike<number>): [number, number, number] {
  const c = (j: number) => Math.hypot(a[j]!, a[4 + j]!, a[8 + j]!);
  return [c(0), c(1), c(2)];
}

/** Product of two row-major 3×3 matrices (9 entries each). */
export function multiplyMatrix3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++)
      o[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  }
  return o;
}

/** Transpose of a row-major 3×3 matrix. */
export function transposeMatrix3(a: ArrayLike<number>): Float64Array {
  return Float64Array.from([a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!]);
}

/** Inverse of a non-singular row-major 3×3 matrix. */
export function invertMatrix3(a: ArrayLike<number>): Float64Array {
  const m = new Float64Array(16);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[i * 4 + j] = a[i * 3 + j]!;
  m[15] = 1;
  const inv = invertAffine(m);
  return Float64Array.from([
    inv[0]!,
    inv[1]!,
    inv[2]!,
    inv[4]!,
    inv[5]!,
    inv[6]!,
    inv[8]!,
    inv[9]!,
    inv[10]!,
  ]);
}

/**
 * Orthogonal polar factor of a non-singular 3×3 matrix (the nearest rotation/orthogonal matrix in the
 * Frobenius norm, equal to U·Vᵀ of its SVD), by Higham's scaled Newton iteration X ← (γX + X⁻ᵀ/γ)/2.
 */
export function polarOrthogonal3(r: ArrayLike<number>): Float64Array {
  let x = Float64Array.from(r as ArrayLike<number>);
  for (let it = 0; it < 100; it++) {
    const xinvT = transposeMatrix3(invertMatrix3(x));
    const fro = (m: Float64Array) => Math.sqrt(m.reduce((s, v) => s + v * v, 0));
    const g = Math.sqrt(fro(xinvT) / fro(x));
    const next = new Float64Array(9);
    let diff = 0;
    for (let i = 0; i < 9; i++) {
      next[i] = 0.5 * (g * x[i]! + xinvT[i]! / g);
      diff = Math.max(diff, Math.abs(next[i]! - x[i]!));
    }
    x = next;
    if (diff < 1e-15) break;
  }
  return x;
}
