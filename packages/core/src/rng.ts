import { InvalidArgumentError } from './errors.js';

/** The state of one {@link Rng} stream, as `getState()` returns it (JSON, saved in checkpoints). */
export type RngState = {
  words: number[];
  spareNormal: number | null;
};

/**
 * Seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Its whole state is a
 * `Uint32Array(4)`, saved by `getState` and restored by `setState`, so checkpoints can resume every
 * stream exactly. `fork(name)` derives an independent child stream from the parent's *seed* and the
 * name, so adding a stream never shifts the others (docs/conventions.md "Randomness").
 *
 * @example
 * const root = new Rng(42);
 * const aug = root.fork('augment');
 * const p = aug.float(); // in [0, 1)
 */
export class Rng {
  private readonly s = new Uint32Array(4);
  private readonly seedKey: number;
  private spareNormal: number | null = null;

  constructor(seed: number | string) {
    this.seedKey = typeof seed === 'string' ? hashString(seed) : checkSeed(seed);
    let x = this.seedKey >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
      throw new InvalidArgumentError(`Rng.int: expected integers lo < hi, got lo=${lo} hi=${hi}`);
    }
    return lo + Math.floor(this.float() * (hi - lo));
  }

  /** Standard normal sample (Box–Muller; the second value is cached). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A 31-bit non-negative integer suitable as the `seed` of a tf random op. */
  seed32(): number {
    return this.nextU32() >>> 1;
  }

  /** Fisher–Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent stream derived from this stream's seed and `name` (not from its current state). */
  fork(name: string): Rng {
    return new Rng((hashString(name) ^ Math.imul(this.seedKey, 0x9e3779b1)) >>> 0);
  }

  /** Snapshot of the state (5 uint32: 4 generator words + cached-normal flag packed separately). */
  getState(): RngState {
    return { words: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Restores a snapshot taken by `getState`. */
  setState(state: Readonly<RngState>): void {
    if (state.words.length !== 4) {
      throw new InvalidArgumentError(`Rng.setState: expected 4 state words, got ${state.words.length}`);
    }
    for (let i = 0; i < 4; i++) this.s[i] = state.words[i]! >>> 0;
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function checkSeed(seed: number): number {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new InvalidArgumentError(`Rng: seed must be a finite integer, got ${seed}`);
  }
  return (seed >>> 0) ^ Math.floor(seed / 4294967296);
}

/** FNV-1a 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
