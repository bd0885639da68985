import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { DatasetError, datasetError } from './dataset-error.js';

/** k-fold cross-validation splits, as saved in `splits.json`. */
export interface Splits {
  readonly schema: 'voxnas/splits@1';
  readonly seed: number;
  readonly folds: readonly { readonly train: readonly string[]; readonly val: readonly string[] }[];
  /** sha256 of the canonical JSON of { schema, seed, folds }: detects edits and corruption. */
  readonly hash: string;
}

function contentHash(s: Omit<Splits, 'hash'>): string {
  return createHash('sha256')
    .update(JSON.stringify({ schema: s.schema, seed: s.seed, folds: s.folds }))
    .digest('hex');
}

/**
 * Deterministic k-fold splits: ids are sorted, shuffled by `new Rng(seed).fork('splits')`, and dealt
 * round-robin to `folds` validation sets; each fold trains on the rest. Same ids + seed ⇒ same splits,
 * whatever the input order.
 *
 * @example
 * const splits = createSplits({ caseIds: ds.caseIds, folds: 5, seed: 0 });
 * await writeSplits(splits, join(ds.root, 'splits.json'));
 */
export function createSplits(o: { caseIds: readonly string[]; folds?: number; seed?: number }): Splits {
  const k = o.folds ?? 5;
  const seed = o.seed ?? 0;
  const ids = [...new Set(o.caseIds)].sort();
  if (ids.length !== o.caseIds.length)
    throw new InvalidArgumentError('createSplits: case ids must be unique');
  if (!(Number.isInteger(k) && k >= 2 && k <= ids.length)) {
    throw new InvalidArgumentError(
      `createSplits: folds must be an integer in [2, ${ids.length}] for ${ids.length} cases, got ${k}`,
    );
  }
  const order = new Rng(seed).fork('splits').shuffle(ids);
  const val: string[][] = Array.from({ length: k }, () => []);
  order.forEach((id, i) => val[i % k]!.push(id));
  const folds = val.map((v) => {
    const vs = new Set(v);
    return { train: ids.filter((id) => !vs.has(id)), val: [...v].sort() };
  });
  const base = { schema: 'voxnas/splits@1' as const, seed, folds };
  return { ...base, hash: contentHash(base) };
}

/** Writes `splits.json` atomically (temp file, then rename). */
export async function writeSplits(splits: Splits, path: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(splits, null, 2));
  await rename(tmp, path);
}

/**
 * Reads and verifies `splits.json`: schema, content hash, and (when `caseIds` is given) that every
 * id exists in the dataset and each id is validated exactly once.
 *
 * @example
 * const splits = await readSplits(join(ds.root, 'splits.json'), { caseIds: ds.caseIds });
 */
export async function readSplits(path: string, o: { caseIds?: readonly string[] } = {}): Promise<Splits> {
  let s: Splits;
  try {
    s = JSON.parse(await readFile(path, 'utf8')) as Splits;
  } catch (e) {
    throw new DatasetError(
      `readSplits(${path}): not readable JSON`,
      [{ caseId: '<splits>', problem: 'unreadable' }],
      { cause: e },
    );
  }
  if (s.schema !== 'voxnas/splits@1' || !Array.isArray(s.folds)) {
    throw datasetError(`readSplits(${path})`, [
      { caseId: '<splits>', problem: `schema is ${JSON.stringify(s.schema)}, expected "voxnas/splits@1"` },
    ]);
  }
  const h = contentHash(s);
  if (h !== s.hash)
    throw datasetError(`readSplits(${path})`, [
      {
        caseId: '<splits>',
        problem: `content hash ${h.slice(0, 12)}… differs from recorded ${String(s.hash).slice(0, 12)}…: the file was edited or corrupted`,
      },
    ]);
  if (o.caseIds) {
    const known = new Set(o.caseIds);
    const seen = new Map<string, number>();
    for (const f of s.folds) for (const id of f.val) seen.set(id, (seen.get(id) ?? 0) + 1);
    const problems = [
      ...[...seen.keys()]
        .filter((id) => !known.has(id))
        .map((id) => ({ caseId: id, problem: 'in splits.json but not in the dataset' })),
      ...o.caseIds
        .filter((id) => seen.get(id) !== 1)
        .map((id) => ({ caseId: id, problem: `validated ${seen.get(id) ?? 0} times, expected once` })),
    ];
    if (problems.length) throw datasetError(`readSplits(${path})`, problems);
  }
  return s;
}
