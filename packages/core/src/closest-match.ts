/**
 * Levenshtein distance between two strings (insertions, deletions and substitutions cost 1).
 *
 * @example
 * editDistance('conv-3x3', 'conv-3x3x3'); // 2
 */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The known name closest to `name` (case-insensitive edit distance), or undefined when none is close
 * enough to be a plausible typo: within `maxDistance` edits (default `max(2, ⌊length / 3⌋)`), or a name
 * that starts with what was typed. Ties go to the earlier entry of `known`. `maxDistance: Infinity`
 * always returns the nearest name.
 *
 * @example
 * closestMatch('samplr', ['sampler', 'steps']); // 'sampler'
 * closestMatch('xyz', ['sampler']); // undefined
 */
export function closestMatch(name: string, known: readonly string[], options: { maxDistance?: number } = {}): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= (options.maxDistance ?? Math.max(2, Math.floor(name.length / 3)))) return best;
  const prefix = known.find((k) => lower.length >= 3 && k.toLowerCase().startsWith(lower));
  return prefix;
}

/**
 * `" (did you mean 'x'?)"` for the closest known name, or `""` when nothing is close.
 *
 * @example
 * `unknown field 'stpes'${didYouMean('stpes', ['steps', 'seed'])}`; // "unknown field 'stpes' (did you mean 'steps'?)"
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const m = closestMatch(name, known);
  return m === undefined ? '' : ` (did you mean '${m}'?)`;
}
