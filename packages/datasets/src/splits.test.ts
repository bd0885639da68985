import { withTempDir } from '@voxnas/testing';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { DatasetError } from './dataset-error.js';
import { createSplits, readSplits, writeSplits } from './splits.js';

const IDS = Array.from({ length: 11 }, (_, i) => `case_${String(i).padStart(2, '0')}`);

describe('k-fold splits', () => {
  it.each([2, 3, 5])('folds=%i: every id validated exactly once, train = complement, sizes balanced', (k) => {
    const s = createSplits({ caseIds: IDS, folds: k, seed: 1 });
    expect(s.folds).toHaveLength(k);
    const val = s.folds.flatMap((f) => f.val).sort();
    expect(val).toEqual(IDS);
    for (const f of s.folds) {
      expect([...f.train, ...f.val].sort()).toEqual(IDS);
      expect(f.val.length === Math.floor(11 / k) || f.val.length === Math.ceil(11 / k)).toBe(true);
    }
  });

  it('deterministic: independent of input order, dependent on seed', () => {
    const a = createSplits({ caseIds: IDS, seed: 3 });
    expect(createSplits({ caseIds: [...IDS].reverse(), seed: 3 })).toEqual(a);
    expect(createSplits({ caseIds: IDS, seed: 4 }).hash).not.toBe(a.hash);
  });

  it('write → read round trip; an edited file fails its content hash', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'splits.json');
      const s = createSplits({ caseIds: IDS, folds: 3, seed: 0 });
      await writeSplits(s, p);
      expect(await readSplits(p, { caseIds: IDS })).toEqual(s);
      const j = JSON.parse(await readFile(p, 'utf8'));
      j.folds[0].val.push('case_99');
      await writeFile(p, JSON.stringify(j));
      const e = await readSplits(p).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as Error).message.replace(dir, '<dir>').replace(/[0-9a-f]{12}…/g, 'H…'))
        .toMatchInlineSnapshot(`
        "readSplits(<dir>/splits.json): 1 problem(s)
          - <splits>: content hash H… differs from recorded H…: the file was edited or corrupted"
      `);
    });
  });

  it('readSplits names ids missing from the dataset', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'splits.json');
      await writeSplits(createSplits({ caseIds: IDS, folds: 2 }), p);
      const e = await readSplits(p, { caseIds: IDS.slice(1) }).catch((x: unknown) => x);
      expect((e as Error).message.replace(dir, '<dir>')).toMatchInlineSnapshot(`
        "readSplits(<dir>/splits.json): 1 problem(s)
          - case_00: in splits.json but not in the dataset"
      `);
    });
  });

  it('rejects bad fold counts', () => {
    expect(() => createSplits({ caseIds: IDS.slice(0, 3), folds: 5 })).toThrow(InvalidArgumentError);
  });
});
