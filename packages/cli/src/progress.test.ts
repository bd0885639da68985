import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatProgress } from './progress.js';

describe('progress', () => {
  it.each([
    [0, '0:00'],
    [59.4, '0:59'],
    [61, '1:01'],
    [3725, '1:02:05'],
    [Number.NaN, '--:--'],
  ])('formatDuration(%s) = %s', (s, out) => expect(formatDuration(s)).toBe(out));

  it('formats bar, rate and ETA', () => {
    const line = formatProgress({ label: 'search', done: 25, total: 100, elapsedMs: 10_000, extra: 'loss 0.5', width: 90 });
    expect(line.trimEnd()).toBe('search [########......................] 25/100 2.50 it/s ETA 0:30 loss 0.5');
  });

  it('writes to a TTY, stays silent otherwise', () => {
    const out: string[] = [];
    let t = 0;
    const tty = { isTTY: true, columns: 80, write: (s: string) => out.push(s) };
    const p = createProgress({ label: 'x', total: 2, stream: tty, now: () => (t += 200) });
    p.tick(1);
    p.tick(2);
    p.end();
    expect(out.length).toBe(3);
    const silent: string[] = [];
    const q = createProgress({ label: 'x', total: 2, stream: { write: (s: string) => silent.push(s) } });
    q.tick(1);
    q.end();
    expect(silent).toEqual([]);
  });
});
