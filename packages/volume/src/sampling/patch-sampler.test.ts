import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../rng.js';
import { createVolume } from '../volume.js';
import { extractPatch } from './grid.js';
import { createLabelIndex } from './label-index.js';
import {
  allocateClasses,
  foregroundFlags,
  sampleClassBalancedPatches,
  sampleForegroundPatch,
  samplePatchContaining,
  sampleUniformPatch,
} from './patch-sampler.js';

const CHI2 = `
import sys, json
from scipy.stats import chisquare
a = json.load(sys.stdin)
print(json.dumps(chisquare(a['obs'], a['exp']).pvalue))
`;
const pValue = (obs: number[], exp: number[]) => runPythonReference<number>(CHI2, { obs, exp });

const SHAPE: [number, number, number] = [11, 9, 7];
const PATCH: [number, number, number] = [5, 4, 3];

/** Label with class 1 hugging the x = 0 border, class 2 a small blob at a corner, class 3 in the middle. */
function label() {
  const [nx, ny, nz] = SHAPE;
  const d = new Uint8Array(nx * ny * nz);
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        if (x === 0) d[i] = 1;
        else if (x >= nx - 2 && y >= ny - 2 && z >= nz - 2) d[i] = 2;
        else if (x === 5 && y === 4) d[i] = 3;
      }
  return createVolume({ data: d, shape: SHAPE, kind: 'label' });
}

const key = (s: number[]) => s.join(',');

function allStarts(): number[][] {
  const out: number[][] = [];
  for (let z = 0; z <= SHAPE[2] - PATCH[2]; z++)
    for (let y = 0; y <= SHAPE[1] - PATCH[1]; y++) for (let x = 0; x <= SHAPE[0] - PATCH[0]; x++) out.push([x, y, z]);
  return out;
}

describe('patch samplers', () => {
  it('uniform: starts are uniform over all valid starts (chi-square, seed 1)', () => {
    const rng = new Rng(1);
    const starts = allStarts();
    const counts = new Map(starts.map((s) => [key(s), 0]));
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const { start } = sampleUniformPatch(rng, { shape: SHAPE, patchShape: PATCH });
      expect(counts.has(key(start))).toBe(true);
      counts.set(key(start), counts.get(key(start))! + 1);
    }
    const obs = starts.map((s) => counts.get(key(s))!);
    expect(pValue(obs, obs.map(() => N / starts.length))).toBeGreaterThan(0.001);
  });

  it.each([1, 2, 3])('containing class %i: every patch contains it and starts follow the exact unbiased law (chi-square)', (cls) => {
    const lab = label();
    const index = createLabelIndex(lab);
    const rng = new Rng(10 + cls);
    const starts = allStarts();
    // Expected: voxel uniform in the class, then start uniform among valid starts containing it.
    const exp = new Map(starts.map((s) => [key(s), 0]));
    const vox = index.voxels[index.classes.indexOf(cls)]!;
    const [nx, ny] = SHAPE;
    for (const lin of vox) {
      const v = [lin % nx, Math.floor(lin / nx) % ny, Math.floor(lin / (nx * ny))];
      const ok = starts.filter((s) => s.every((sa, a) => sa <= v[a]! && v[a]! < sa + PATCH[a]!));
      for (const s of ok) exp.set(key(s), exp.get(key(s))! + 1 / ok.length / vox.length);
    }
    const N = 12_000;
    const counts = new Map(starts.map((s) => [key(s), 0]));
    for (let i = 0; i < N; i++) {
      const d = samplePatchContaining(rng, { index, patchShape: PATCH, cls });
      expect(d.forcedClass).toBe(cls);
      counts.set(key(d.start), counts.get(key(d.start))! + 1);
      if (i < 200) expect(Array.from(extractPatch(lab, { start: d.start, patchShape: PATCH }).data)).toContain(cls);
    }
    const cells = starts.filter((s) => exp.get(key(s))! > 0);
    const total = starts.reduce((t, s) => t + (exp.get(key(s))! > 0 ? 0 : counts.get(key(s))!), 0);
    expect(total).toBe(0); // never a start outside the support
    const obs = cells.map((s) => counts.get(key(s))!);
    const e = cells.map((s) => exp.get(key(s))! * N);
    expect(pValue(obs, e)).toBeGreaterThan(0.001);
  });

  it('allocateClasses gives exact per-batch counts; class-balanced patches each contain their class', () => {
    const rng = new Rng(5);
    const index = createLabelIndex(label());
    for (let b = 0; b < 200; b++) {
      const cls = allocateClasses(rng, { ratios: { 0: 1, 1: 1, 2: 2 }, count: 8 });
      expect(cls.filter((c) => c === 0)).toHaveLength(2);
      expect(cls.filter((c) => c === 2)).toHaveLength(4);
    }
    // 1:1:1:1 over batches of 2: each batch gets 2 distinct classes; over 4000 batches classes are balanced.
    const tally = [0, 0, 0, 0];
    for (let b = 0; b < 4000; b++) for (const c of allocateClasses(rng, { ratios: { 0: 1, 1: 1, 2: 1, 3: 1 }, count: 2 })) tally[c]!++;
    expect(pValue(tally, [2000, 2000, 2000, 2000])).toBeGreaterThan(0.001);
    const draws = sampleClassBalancedPatches(rng, { index, patchShape: PATCH, ratios: { 1: 1, 2: 1, 3: 1 }, count: 9 });
    expect(draws.map((d) => d.forcedClass).sort()).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });

  it('foreground oversampling: forced patches contain foreground, flags give the exact fraction', () => {
    expect(foregroundFlags(8, 0.33)).toEqual([false, false, false, false, false, false, true, true, true].slice(1));
    const lab = label();
    const index = createLabelIndex(lab);
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const d = sampleForegroundPatch(rng, { index, patchShape: PATCH, force: true });
      expect(Array.from(extractPatch(lab, { start: d.start, patchShape: PATCH }).data).some((v) => v > 0)).toBe(true);
    }
  });

  it('a patch larger than the volume is placed with padding around it', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) {
      const { start } = sampleUniformPatch(rng, { shape: [5, 6, 7], patchShape: [8, 6, 3] });
      expect(start[0]).toBeGreaterThanOrEqual(-3);
      expect(start[0]).toBeLessThanOrEqual(0);
      expect(start[1]).toBe(0);
    }
  });

  it('rejects a bad patch shape', () => {
    expect(() => sampleUniformPatch(new Rng(1), { shape: SHAPE, patchShape: [4, 0, 2] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: sampleUniformPatch: patchShape must be 3 positive integers, got [4, 0, 2]]`,
    );
    expect(() => allocateClasses(new Rng(1), { ratios: {}, count: 2 })).toThrow(InvalidArgumentError);
  });
});
