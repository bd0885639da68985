import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('same seed gives the same stream; different seeds differ', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 20 }, () => a.nextU32());
    expect(Array.from({ length: 20 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('fork depends on the seed and name only, not on how much the parent drew', () => {
    const a = new Rng(1);
    const f1 = a.fork('augment').float();
    a.float();
    a.float();
    expect(a.fork('augment').float()).toBe(f1);
    expect(a.fork('sampler').float()).not.toBe(f1);
  });

  it('state round trip resumes the exact stream (normal cache included)', () => {
    const r = new Rng(99);
    r.normal();
    const st = r.getState();
    const next = [r.normal(), r.float(), r.int(0, 10)];
    const q = new Rng(0);
    q.setState(st);
    expect([q.normal(), q.float(), q.int(0, 10)]).toEqual(next);
  });

  it('float is uniform on [0,1): mean and variance within 4 sigma over 1e5 draws', () => {
    const r = new Rng(3);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.float();
      expect(x >= 0 && x < 1).toBe(true);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('normal has mean 0 and variance 1 within tolerance', () => {
    const r = new Rng(5);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
  });

  it.each([
    [0, 0],
    [1.5, 3],
    [5, 2],
  ])('int(%s, %s) rejects bad bounds', (lo, hi) => {
    expect(() => new Rng(1).int(lo, hi)).toThrow(InvalidArgumentError);
  });

  it('rejects a non-integer seed', () => {
    expect(() => new Rng(Number.NaN)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: Rng: seed must be a finite integer, got NaN]`,
    );
  });
});
