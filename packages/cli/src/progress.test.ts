import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatProgress, formatProgressLine, progressIntervalSeconds } from './progress.js';

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

  it('formats a plain line; a resumed loop rates only the steps it did', () => {
    expect(formatProgressLine({ label: 'train', done: 40, total: 200, elapsedMs: 20_000, extra: 'loss 0.412' })).toBe(
      'train step 40/200 loss 0.412 | 2.00 steps/s ETA 1:20',
    );
    // resumed at 30: 10 steps in 20 s → 0.5 steps/s, 160 left → 5:20
    expect(formatProgressLine({ label: 'train', done: 40, total: 200, elapsedMs: 20_000, rateDone: 10 })).toBe(
      'train step 40/200 | 0.50 steps/s ETA 5:20',
    );
  });

  it('redraws a bar on a TTY', () => {
    const out: string[] = [];
    let t = 0;
    const tty = { isTTY: true, columns: 80, write: (s: string) => out.push(s) };
    const p = createProgress({ label: 'x', total: 2, stream: tty, now: () => (t += 200) });
    p.tick(1);
    p.tick(2);
    p.end();
    expect(out.length).toBe(3);
    expect(out[0]!.startsWith('\rx [')).toBe(true);
    expect(out[2]).toBe('\n');
  });

  it('prints whole lines every interval when not on a TTY (first and last step always)', () => {
    const out: string[] = [];
    let t = 0;
    const pipe = { write: (s: string) => out.push(s) };
    // one tick per simulated second, a line every 3 s
    const p = createProgress({ label: 'train', total: 10, stream: pipe, intervalSeconds: 3, now: () => (t += 1000) - 1000 });
    for (let i = 1; i <= 10; i++) p.tick(i, `loss ${(1 / i).toFixed(3)}`);
    p.end();
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(out.map((l) => l.split(' | ')[0])).toEqual([
      'train step 1/10 loss 1.000',
      'train step 4/10 loss 0.250',
      'train step 7/10 loss 0.143',
      'train step 10/10 loss 0.100',
    ]);
    expect(out[3]).toBe('train step 10/10 loss 0.100 | 1.00 steps/s ETA 0:00\n');
  });

  it('--quiet prints nothing, on a TTY or not', () => {
    const out: string[] = [];
    for (const isTTY of [true, false]) {
      const q = createProgress({ label: 'x', total: 2, quiet: true, stream: { isTTY, write: (s: string) => out.push(s) } });
      q.tick(1);
      q.tick(2);
      q.end();
    }
    expect(out).toEqual([]);
  });

  it.each([
    [undefined, 10],
    ['30', 30],
    ['0', 0],
    ['0.5', 0.5],
    ['-1', 10],
    ['soon', 10],
  ])('VOXNAS_PROGRESS_INTERVAL=%s → %s s', (value, seconds) => {
    expect(progressIntervalSeconds({ VOXNAS_PROGRESS_INTERVAL: value })).toBe(seconds);
  });
});
