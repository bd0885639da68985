/** Reports the progress of a loop: a one-line bar on a terminal, plain periodic lines otherwise. */
export interface Progress {
  /** `done` units of `total` are finished; `extra` is shown after the rate (e.g. `loss 0.31`). */
  tick(done: number, extra?: string): void;
  end(): void;
}

/** Where progress goes: a terminal (`isTTY`) gets a bar redrawn in place, anything else whole lines. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** How a command reports progress (from `--quiet`, `--progress-interval` and the environment). */
export interface ProgressSettings {
  /** No progress at all (`--quiet`). */
  readonly quiet?: boolean;
  /** Seconds between plain lines when the stream is not a terminal. Default {@link progressIntervalSeconds}. */
  readonly intervalSeconds?: number;
  /** Default `process.stderr`. */
  readonly stream?: ProgressStream;
}

/** Default seconds between progress lines off a terminal. */
export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 10;

/**
 * Seconds between progress lines when the output is not a terminal: `VOXNAS_PROGRESS_INTERVAL` when
 * it is a number ≥ 0, else {@link DEFAULT_PROGRESS_INTERVAL_SECONDS}.
 *
 * @example
 * process.env.VOXNAS_PROGRESS_INTERVAL = '30';
 * progressIntervalSeconds(); // 30
 */
export function progressIntervalSeconds(env: Record<string, string | undefined> = process.env): number {
  const raw = env.VOXNAS_PROGRESS_INTERVAL;
  const n = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_PROGRESS_INTERVAL_SECONDS;
}

/**
 * Creates a progress reporter for `total` units of work labelled `label`. On a terminal it redraws a
 * bar with rate and ETA (at most every 100 ms); on a pipe, file or batch log it prints a plain line
 * (`train step 40/200 loss 0.412 | 2.31 steps/s ETA 1:09`) every `intervalSeconds`, plus the first and
 * the last step. `from` is the step a resumed loop starts at (the rate counts only this process's steps).
 *
 * @example
 * const p = createProgress({ label: 'search', total: 100 });
 * for (let i = 1; i <= 100; i++) p.tick(i, `loss 0.31`);
 * p.end();
 */
export function createProgress({
  label,
  total,
  from = 0,
  stream = process.stderr as ProgressStream,
  quiet = false,
  intervalSeconds = progressIntervalSeconds(),
  now = () => performance.now(),
}: {
  label: string;
  total: number;
  from?: number;
  stream?: ProgressStream;
  quiet?: boolean;
  intervalSeconds?: number;
  now?: () => number;
}): Progress {
  const start = now();
  let last = -Infinity;
  let drawn = false;
  if (quiet) return { tick() {}, end() {} };
  if (stream.isTTY) {
    return {
      tick(done, extra = '') {
        const t = now();
        if (t - last < 100 && done < total) return;
        last = t;
        drawn = true;
        const rateDone = done - from;
        stream.write(`\r${formatProgress({ label, done, total, elapsedMs: t - start, rateDone, extra, width: stream.columns ?? 80 })}`);
      },
      end() {
        if (drawn) stream.write('\n');
      },
    };
  }
  const intervalMs = intervalSeconds * 1000;
  return {
    tick(done, extra = '') {
      const t = now();
      const first = last === -Infinity;
      if (!first && t - last < intervalMs && done < total) return;
      last = t;
      stream.write(`${formatProgressLine({ label, done, total, elapsedMs: t - start, rateDone: done - from, extra })}\n`);
    },
    end() {},
  };
}

function rateAndEta(done: number, total: number, elapsedMs: number, rateDone: number): { rate: number; eta: number } {
  const rate = elapsedMs > 0 ? (rateDone * 1000) / elapsedMs : 0;
  return { rate, eta: rate > 0 ? (total - done) / rate : Number.NaN };
}

function fmtRate(rate: number): string {
  return rate.toFixed(rate < 10 ? 2 : 1);
}

/** Formats one progress bar line: `label [#####.....] 12/100 3.1 it/s ETA 0:28 extra`. */
export function formatProgress({
  label,
  done,
  total,
  elapsedMs,
  rateDone = done,
  extra = '',
  width = 80,
}: {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  /** Units done in `elapsedMs` (default `done`; less for a resumed loop). */
  rateDone?: number;
  extra?: string;
  width?: number;
}): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const { rate, eta } = rateAndEta(done, total, elapsedMs, rateDone);
  const barWidth = Math.max(10, Math.min(30, width - 60));
  const filled = Math.round(frac * barWidth);
  const bar = '#'.repeat(filled) + '.'.repeat(barWidth - filled);
  const text = `${label} [${bar}] ${done}/${total} ${fmtRate(rate)} it/s ETA ${formatDuration(eta)}${extra ? ` ${extra}` : ''}`;
  return text.length > width ? text.slice(0, width - 1) : text.padEnd(width - 1);
}

/**
 * Formats one plain progress line (for logs and pipes): `label step done/total extra | r steps/s ETA m:ss`.
 *
 * @example
 * formatProgressLine({ label: 'train', done: 40, total: 200, elapsedMs: 20_000, extra: 'loss 0.412' });
 * // 'train step 40/200 loss 0.412 | 2.00 steps/s ETA 1:20'
 */
export function formatProgressLine({
  label,
  done,
  total,
  elapsedMs,
  rateDone = done,
  extra = '',
}: {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  rateDone?: number;
  extra?: string;
}): string {
  const { rate, eta } = rateAndEta(done, total, elapsedMs, rateDone);
  return `${label} step ${done}/${total}${extra ? ` ${extra}` : ''} | ${fmtRate(rate)} steps/s ETA ${formatDuration(eta)}`;
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
