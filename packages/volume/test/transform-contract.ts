import { expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { replay } from '../src/transforms/replay.js';
import { compose, createSubject, type Subject, type Transform } from '../src/transforms/subject.js';
import { labelSet, testSubject } from './transform-fixtures.js';

/**
 * Contract every random transform passes: determinism per seed, different seeds differ, replay from
 * the JSON log is bit-identical, labels keep their value set, intensity transforms leave labels and
 * geometry untouched.
 */
export function transformContract(make: () => Transform<unknown>, opts: { spatial: boolean }): void {
  const run = (seed: number, s: Subject = testSubject()) => compose([make()])(s, new Rng(seed));

  it('same seed → same output; another seed → different', () => {
    const a = run(3);
    const b = run(3);
    expect(b.history).toEqual(a.history);
    expect(Array.from(b.volumes.image!.data)).toEqual(Array.from(a.volumes.image!.data));
    const differs = [4, 5, 6, 7].some((s) => JSON.stringify(run(s).history) !== JSON.stringify(a.history));
    expect(differs).toBe(true);
  });

  it('replaying the JSON log reproduces the output bit for bit', () => {
    for (const seed of [11, 12, 13]) {
      const out = run(seed);
      const log = JSON.parse(JSON.stringify(out.history));
      const again = replay(testSubject(), log);
      for (const k of ['image', 'label']) {
        expect(again.volumes[k]!.shape).toEqual(out.volumes[k]!.shape);
        expect(
          Buffer.from(again.volumes[k]!.data.buffer).equals(Buffer.from(out.volumes[k]!.data.buffer)),
        ).toBe(true);
        expect(Array.from(again.volumes[k]!.affine)).toEqual(Array.from(out.volumes[k]!.affine));
      }
      expect(again.history).toEqual(out.history);
    }
  });

  it('label values stay within the input label set; the input is not mutated', () => {
    const s = testSubject();
    const before = Array.from(s.volumes.image!.data);
    for (const seed of [1, 2, 3]) {
      const out = run(seed, s);
      const allowed = new Set(labelSet(s.volumes.label!));
      for (const v of labelSet(out.volumes.label!)) expect(allowed.has(v)).toBe(true);
      expect(out.volumes.label!.dtype).toBe('uint8');
    }
    expect(Array.from(s.volumes.image!.data)).toEqual(before);
  });

  if (!opts.spatial) {
    it('intensity: label volume and geometry untouched', () => {
      const s = testSubject();
      const out = run(2, s);
      expect(out.volumes.label).toBe(s.volumes.label);
      expect(out.volumes.image!.shape).toEqual(s.volumes.image!.shape);
      expect(out.volumes.image!.channels).toBe(2);
      expect(Array.from(out.volumes.image!.affine)).toEqual(Array.from(s.volumes.image!.affine));
    });
  }

  it('p = 0 skips and records params null', () => {
    const t = { ...make(), p: 0 } as Transform<unknown>;
    const s = createSubject(testSubject().volumes);
    const out = compose([t])(s, new Rng(1));
    expect(out.history).toEqual([{ name: t.name, params: null }]);
    expect(out.volumes.image).toBe(s.volumes.image);
  });
}
