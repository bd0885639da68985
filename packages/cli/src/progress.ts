/** Writes a one-line progress bar with rate and ETA to a TTY stream; silent when the stream is not a TTY. */
export interface Progress {
  tick(done: number, extra?: string): void;
  end(): void;
}

interface Stream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/**
 * Creates a progress bar for `total` units of work labelled `label`.
 *
 * @example
 * const p = createProgress({ label: 'search', total: 100 });
 * for (let i = 1; i <= 100; i++) p.tick(i, `loss 0.31`);
 * p.end();
 */
export function createProgress({
  label,
  total,
  stream = process.stderr as Stream,
  now = () => performance.now(),
}: {
  label: string;
  total: number;
  stream?: Stream;
  now?: () => number;
}): Progress {
  const start = now();
  let last = -Infinity;
  const enabled = Boolean(stream.isTTY);
  return {
    tick(done, extra = '') {
      if (!enabled) return;
      const t = now();
      if (t - last < 100 && done < total) return;
      last = t;
      stream.write(`\r${formatProgress({ label, done, total, elapsedMs: t - start, extra, width: stream.columns ?? 80 })}`);
    },
    end() {
      if (enabled) stream.write('\n');
    },
  };
}

/** Formats one progress line: `label [#####.....] 12/100 3.1 it/s ETA 0:28 extra`. */
export function formatProgress({
  label,
  done,
  total,
  elapsedMs,
  extra = '',
  width = 80,
}: {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  extra?: string;
  width?: number;
}): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (total - done) / rate : NaN;
  const barWidth = Math.max(10, Math.min(30, width - 60));
  const filled = Math.round(frac * barWidth);
  const bar = '#'.repeat(filled) + '.'.repeat(barWidth - filled);
  const text = `${label} [${bar}] ${done}/${total} ${rate.toFixed(rate < 10 ? 2 : 1)} it/s ETA ${formatDuration(eta)}${extra ? ` ${extra}` : ''}`;
  return text.length > width ? text.slice(0, width - 1) : text.padEnd(width - 1);
}

/** `m:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
