import { haveReferences, runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
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

// Chi-square p-values from scipy, one Python call for the whole file (queued, then evaluated lazily).
const CHI2 = `
import sys, json
from scipy.stats import chisquare
print(json.dumps([chisquare(a['obs'], a['exp']).pvalue for a in json.load(sys.stdin)]))
`;

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
    for (let y = 0; y <= SHAPE[1] - PATCH[1]; y++)
      for (let x = 0; x <= SHAPE[0] - PATCH[0]; x++) out.push([x, y, z]);
  return out;
}

interface Stat {
  obs: number[];
  exp: number[];
  outsideSupport: number;
  containedAll: boolean;
}

/** Draws every sample the statistical tests need; one scipy call then gives all p-values. */
function collect(): Record<string, Stat> {
  const starts = allStarts();
  const out: Record<string, Stat> = {};
  {
    const rng = new Rng(1);
    const counts = new Map(starts.map((s) => [key(s), 0]));
    const N = 20_000;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const { start } = sampleUniformPatch(rng, { shape: SHAPE, patchShape: PATCH });
      if (!counts.has(key(start))) outside++;
      else counts.set(key(start), counts.get(key(start))! + 1);
    }
    const obs = starts.map((s) => counts.get(key(s))!);
    out.uniform = { obs, exp: obs.map(() => N / starts.length), outsideSupport: outside, containedAll: true };
  }
  const lab = label();
  const index = createLabelIndex(lab);
  for (const cls of [1, 2, 3]) {
    const rng = new Rng(10 + cls);
    // Expected: voxel uniform in the class, then start uniform among valid starts containing it.
    const exp = new Map(starts.map((s) => [key(s), 0]));
    const vox = index.voxels[index.classes.indexOf(cls)]!;
    const [nx, ny] = SHAPE;
    for (const lin of vox) {
      const v = [lin % nx, Math.floor(lin / nx) % ny, Math.floor(lin / (nx * ny))];
      const ok = starts.filter((st) => st.every((sa, ax) => sa <= v[ax]! && v[ax]! < sa + PATCH[ax]!));
      for (const st of ok) exp.set(key(st), exp.get(key(st))! + 1 / ok.length / vox.length);
    }
    const N = 12_000;
    const counts = new Map(starts.map((st) => [key(st), 0]));
    let containedAll = true;
    for (let i = 0; i < N; i++) {
      const d = samplePatchContaining(rng, { index, patchShape: PATCH, cls });
      if (d.forcedClass !== cls) containedAll = false;
      counts.set(key(d.start), counts.get(key(d.start))! + 1);
      if (i < 200 && !Array.from(extractPatch(lab, { start: d.start, patchShape: PATCH }).data).includes(cls))
        containedAll = false;
    }
    const cells = starts.filter((st) => exp.get(key(st))! > 0);
    const outside = starts.reduce((t, st) => t + (exp.get(key(st))! > 0 ? 0 : counts.get(key(st))!), 0);
    out[`class${cls}`] = {
      obs: cells.map((st) => counts.get(key(st))!),
      exp: cells.map((st) => exp.get(key(st))! * N),
      outsideSupport: outside,
      containedAll,
    };
    if (cls === 1) {
      // The common biased alternative: start = clamp(voxel − ⌊p/2⌋, 0, n − p).
      const clamped = new Map(starts.map((st) => [key(st), 0]));
      for (let i = 0; i < N; i++) {
        const lin = vox[rng.int(0, vox.length)]!;
        const v = [lin % nx, Math.floor(lin / nx) % ny, Math.floor(lin / (nx * ny))];
        const st = v.map((c, ax) =>
          Math.min(Math.max(c - Math.floor(PATCH[ax]! / 2), 0), SHAPE[ax]! - PATCH[ax]!),
        );
        clamped.set(key(st), clamped.get(key(st))! + 1);
      }
      const off = starts.reduce((t, st) => t + (exp.get(key(st))! > 0 ? 0 : clamped.get(key(st))!), 0);
      out.clamped1 = {
        obs: cells.map((st) => clamped.get(key(st))!),
        exp: cells.map((st) => exp.get(key(st))! * N),
        outsideSupport: off,
        containedAll: true,
      };
    }
  }
  {
    // 1:1:1:1 over batches of 2: over 4000 batches the classes are balanced.
    const rng = new Rng(5);
    const tally = [0, 0, 0, 0];
    for (let b = 0; b < 4000; b++)
      for (const c of allocateClasses(rng, { ratios: { 0: 1, 1: 1, 2: 1, 3: 1 }, count: 2 })) tally[c]!++;
    out.tally = { obs: tally, exp: [2000, 2000, 2000, 2000], outsideSupport: 0, containedAll: true };
  }
  return out;
}

describe.runIf(haveReferences('scipy'))('patch samplers', () => {
  let stats: Record<string, Stat> = {};
  let p: Record<string, number> = {};
  beforeAll(() => {
    stats = collect();
    const names = Object.keys(stats);
    const pv = runPythonReference<number[]>(
      CHI2,
      names.map((n) => ({ obs: stats[n]!.obs, exp: stats[n]!.exp })),
    );
    p = Object.fromEntries(names.map((n, i) => [n, pv[i]!]));
  });

  it('uniform: starts are uniform over all valid starts (chi-square, seed 1)', () => {
    expect(stats.uniform!.outsideSupport).toBe(0);
    expect(p.uniform).toBeGreaterThan(0.001);
  });

  it.each([1, 2, 3])(
    'containing class %i: every patch contains it and starts follow the exact unbiased law (chi-square)',
    (cls) => {
      const st = stats[`class${cls}`]!;
      expect(st.containedAll).toBe(true);
      expect(st.outsideSupport).toBe(0); // never a start outside the support
      expect(p[`class${cls}`]).toBeGreaterThan(0.001);
    },
  );

  it('the test has power: centring on the voxel and clamping (the biased law) is rejected', () => {
    expect(stats.clamped1!.outsideSupport).toBe(0);
    expect(p.clamped1).toBeLessThan(1e-6);
  });

  it('allocateClasses gives exact per-batch counts; class-balanced patches each contain their class', () => {
    const rng = new Rng(5);
    const index = createLabelIndex(label());
    for (let b = 0; b < 200; b++) {
      const cls = allocateClasses(rng, { ratios: { 0: 1, 1: 1, 2: 2 }, count: 8 });
      expect(cls.filter((c) => c === 0)).toHaveLength(2);
      expect(cls.filter((c) => c === 2)).toHaveLength(4);
    }
    expect(p.tally).toBeGreaterThan(0.001);
    const draws = sampleClassBalancedPatches(rng, {
      index,
      patchShape: PATCH,
      ratios: { 1: 1, 2: 1, 3: 1 },
      count: 9,
    });
    expect(draws.map((d) => d.forcedClass).sort()).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });

  it('foreground oversampling: forced patches contain foreground, flags give the exact fraction', () => {
    expect(foregroundFlags(8, 0.33)).toEqual(
      [false, false, false, false, false, false, true, true, true].slice(1),
    );
    const lab = label();
    const index = createLabelIndex(lab);
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const d = sampleForegroundPatch(rng, { index, patchShape: PATCH, force: true });
      expect(
        Array.from(extractPatch(lab, { start: d.start, patchShape: PATCH }).data).some((v) => v > 0),
      ).toBe(true);
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
    expect(() =>
      sampleUniformPatch(new Rng(1), { shape: SHAPE, patchShape: [4, 0, 2] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: sampleUniformPatch: patchShape must be 3 positive integers, got [4, 0, 2]]`,
    );
    expect(() => allocateClasses(new Rng(1), { ratios: {}, count: 2 })).toThrow(InvalidArgumentError);
  });
});
