/** Inverse of a row-major 4×4 affine whose last row is [0 0 0 1]. */
export function invertAffine(a: ArrayLike<number>): Float64Array {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = Array.from(a) as number[];
  const c00 = m11! * m22! - m12! * m21!;
  const c01 = m02! * m21! - m01! * m22!;
  const c02 = m01! * m12! - m02! * m11!;
  const c10 = m12! * m20! - m10! * m22!;
  const c11 = m00! * m22! - m02! * m20!;
  const c12 = m02! * m10! - m00! * m12!;
  const c20 = m10! * m21! - m11! * m20!;
  const c21 = m01! * m20! - m00! * m21!;
  const c22 = m00! * m11! - m01! * m10!;
  const det = m00! * c00 + m01! * c10 + m02! * c20;
  const r = [c00 / det, c01 / det, c02 / det, c10 / det, c11 / det, c12 / det, c20 / det, c21 / det, c22 / det];
  const out = new Float64Array(16);
  for (let i = 0; i < 3; i++) {
    out[4 * i] = r[3 * i]!;
    out[4 * i + 1] = r[3 * i + 1]!;
    out[4 * i + 2] = r[3 * i + 2]!;
    out[4 * i + 3] = -(r[3 * i]! * t0! + r[3 * i + 1]! * t1! + r[3 * i + 2]! * t2!);
  }
  out[15] = 1;
  return out;
}

/** Product of two row-major 4×4 matrices. */
export function multiplyAffine(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(16);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[4 * i + k]! * b[4 * k + j]!;
      out[4 * i + j] = s;
    }
  }
  return out;
}
