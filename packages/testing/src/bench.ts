/**
 * Median wall time in milliseconds of `reps` calls of `fn`, after `warmup` untimed calls (for the
 * packages' `pnpm bench` scripts; synchronous work only).
 */
export function medianMs(fn: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}
