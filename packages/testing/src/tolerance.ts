type NumArray = ArrayLike<number>;

/** Largest |a[i] - b[i]|; throws if lengths differ. */
export function maxAbsDiff(a: NumArray, b: NumArray): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Largest |a - b| / max(|b|, floor). */
export function maxRelDiff(a: NumArray, b: NumArray, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`maxRelDiff: length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i])) / Math.max(Math.abs(Number(b[i])), floor);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Throws with the worst index when `|a - b| > atol + rtol·|b|` anywhere. */
export function expectClose(a: NumArray, b: NumArray, { atol = 1e-5, rtol = 1e-5 } = {}): void {
  if (a.length !== b.length) throw new Error(`expectClose: length ${a.length} vs ${b.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (Number.isNaN(excess) && !(Number.isNaN(x) && Number.isNaN(y))) {
      worst = i;
      break;
    }
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `expectClose: index ${worst}: got ${a[worst]}, expected ${b[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}
