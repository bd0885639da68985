/**
 * Numerically stable softmax of a vector of logits (subtracts the maximum first), in float64.
 *
 * @example
 * softmax([0, Math.log(3)]); // [0.25, 0.75]
 */
export function softmax(logits: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  const e = Array.from(logits, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/**
 * Shannon entropy of a probability vector divided by log(K): 1 for uniform, 0 for one-hot (0 when K = 1).
 *
 * @example
 * normalizedEntropy([0.5, 0.5]); // 1
 */
export function normalizedEntropy(probs: ArrayLike<number>): number {
  const k = probs.length;
  if (k <= 1) return 0;
  let h = 0;
  for (let i = 0; i < k; i++) {
    const p = probs[i]!;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(k);
}
