import { describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { haveReferences, runPythonReference, withTempDir } from '@voxnas/testing';
import {
  FormatError,
  InvalidArgumentError,
  ShapeMismatchError,
  VoxnasError,
  applyAffine,
  closestMatch,
  determinant3,
  didYouMean,
  editDistance,
  invertAffine,
  isJsonObject,
  multiplyAffine,
  normalizedEntropy,
  polarOrthogonal3,
  softmax,
} from './index.js';
import { atomicWrite, atomicWriteJson } from './node/index.js';

describe('errors', () => {
  it.each([
    [new InvalidArgumentError('x'), 'InvalidArgumentError', 'E_INVALID_ARGUMENT'],
    [new ShapeMismatchError('x'), 'ShapeMismatchError', 'E_SHAPE_MISMATCH'],
    [new FormatError('a.json', ['step: expected an integer']), 'FormatError', 'E_FORMAT'],
  ])('%s has its name and stable code', (e, name, code) => {
    expect(e).toBeInstanceOf(VoxnasError);
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
  });

  it('FormatError lists every issue with its source', () => {
    const one = new FormatError('run/state.json', ['step: expected an integer ≥ 0, got -1']);
    expect(one.message).toMatchInlineSnapshot(`"run/state.json: not in the expected format: step: expected an integer ≥ 0, got -1"`);
    const two = new FormatError('plan.json', ['a: x', 'b: y'], { what: 'not a voxnas plan' });
    expect(two.message).toMatchInlineSnapshot(`
      "plan.json: not a voxnas plan: 
        a: x
        b: y"
    `);
    expect(two.issues).toEqual(['a: x', 'b: y']);
  });

  it('keeps the cause', () => {
    const cause = new Error('inner');
    expect(new InvalidArgumentError('outer', { cause }).cause).toBe(cause);
  });
});

describe('closest match', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['conv-3x3', 'conv-3x3x3', 2],
    ['same', 'same', 0],
  ])('editDistance(%s, %s) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it.each([
    ['samplr', ['sampler', 'steps'], 'sampler'],
    ['STEPS', ['sampler', 'steps'], 'steps'],
    ['xyz', ['sampler', 'steps'], undefined],
    ['pat', ['patchSize', 'batchSize'], 'patchSize'],
  ] as const)('closestMatch(%s)', (name, known, want) => {
    expect(closestMatch(name, known)).toBe(want);
  });

  it('didYouMean formats a hint or nothing', () => {
    expect(didYouMean('stpes', ['steps'])).toBe(" (did you mean 'steps'?)");
    expect(didYouMean('qqqqqq', ['steps'])).toBe('');
  });
});

describe('softmax and entropy', () => {
  it('matches the closed form and is stable for large logits', () => {
    const p = softmax([0, Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });

  it('normalised entropy is 1 uniform, 0 one-hot', () => {
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(1, 15);
    expect(normalizedEntropy([1, 0, 0])).toBe(0);
    expect(normalizedEntropy([1])).toBe(0);
  });

  it('isJsonObject', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject([])).toBe(false);
  });
});

describe.runIf(haveReferences('numpy'))('affine maths against numpy', () => {
  const a = [0.9, -0.2, 0.1, 10, 0.3, 1.7, -0.4, -5, 0.05, 0.2, 2.5, 3, 0, 0, 0, 1];
  const b = [0, 1, 0, 1, -1, 0, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1];
  const ref = runPythonReference<{ inv: number[]; prod: number[]; det: number; point: number[]; polar: number[] }>(
    `
import json, sys, numpy as np
d = json.load(sys.stdin)
a = np.array(d['a']).reshape(4, 4); b = np.array(d['b']).reshape(4, 4)
u, s, vt = np.linalg.svd(a[:3, :3])
print(json.dumps({'inv': np.linalg.inv(a).ravel().tolist(), 'prod': (a @ b).ravel().tolist(),
  'det': float(np.linalg.det(a[:3, :3])), 'point': (a @ np.array([1.5, -2, 4, 1]))[:3].tolist(),
  'polar': (u @ vt).ravel().tolist()}))
`,
    { a, b },
  );

  it('invert, multiply, determinant, apply and polar factor equal numpy', () => {
    expect(Array.from(invertAffine(a)).map((v, i) => v - ref.inv[i]!).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(Array.from(multiplyAffine(a, b)).map((v, i) => v - ref.prod[i]!).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(determinant3(a)).toBeCloseTo(ref.det, 12);
    applyAffine(a, [1.5, -2, 4]).forEach((v, i) => expect(v).toBeCloseTo(ref.point[i]!, 12));
    const m3 = [a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!];
    polarOrthogonal3(m3).forEach((v, i) => expect(v).toBeCloseTo(ref.polar[i]!, 10));
  });

  it('inverts permutation/flip matrices exactly, without -0', () => {
    const inv = invertAffine(b);
    expect(Array.from(multiplyAffine(b, inv))).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(inv).some((v) => Object.is(v, -0))).toBe(false);
  });
});

describe('atomicWrite (Node entry)', () => {
  it('writes bytes, strings and JSON; leaves no temporary file', async () => {
    await withTempDir(async (dir) => {
      await atomicWrite(join(dir, 'a.bin'), new Uint8Array([1, 2, 3]));
      await atomicWrite(join(dir, 'sub', 'b.txt'), 'hello', { mkdir: true });
      await atomicWriteJson(join(dir, 'c.json'), { x: 1 });
      expect([...(await readFile(join(dir, 'a.bin')))]).toEqual([1, 2, 3]);
      expect(await readFile(join(dir, 'sub', 'b.txt'), 'utf8')).toBe('hello');
      expect(await readFile(join(dir, 'c.json'), 'utf8')).toBe('{\n  "x": 1\n}\n');
      expect((await readdir(dir)).sort()).toEqual(['a.bin', 'c.json', 'sub']);
    });
  });

  it('a writer that fails leaves the old file intact and no temporary file', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'keep.txt');
      await writeFile(path, 'old');
      await expect(
        atomicWrite(path, async (tmp) => {
          await writeFile(tmp, 'half');
          throw new Error('disk full');
        }),
      ).rejects.toThrow('disk full');
      expect(await readFile(path, 'utf8')).toBe('old');
      expect(await readdir(dir)).toEqual(['keep.txt']);
    });
  });
});
