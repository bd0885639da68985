import { withTempDir } from '@voxnas/testing';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { writeFoldersFixture, writeNnunetFixture } from '../test/fixtures.js';
import { InvalidArgumentError } from '@voxnas/core';
import { generatePhantomDataset } from './phantom.js';
import { extractPatch, replay, createSubject } from '@voxnas/volume';
import { createLoader, type LoaderOptions } from './loader.js';
import { onNiftiFileRead } from '@voxnas/volume/node';

const SHAPE: [number, number, number] = [13, 11, 9];
const PATCH: [number, number, number] = [7, 6, 5];

const plan = (dataset: string): LoaderOptions => ({
  dataset,
  patchShape: PATCH,
  batchSize: 3,
  seed: 7,
  sampler: { type: 'foreground', fraction: 0.34 },
  transforms: [
    { type: 'spatial', options: { rotationDeg: [10, 10, 10], elastic: { sigmaMm: 1, controlPoints: 4 } } },
    { type: 'flip' },
    { type: 'gamma', options: { p: 0.5 } },
    { type: 'noise', options: { std: [0, 0.05] } },
  ],
});

async function take(o: LoaderOptions, n: number) {
  const loader = await createLoader(o);
  try {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await loader.next());
    return out;
  } finally {
    await loader.close();
  }
}

describe('createLoader', () => {
  it('0, 1 and 2 workers give identical batches (RNG forked by batch index)', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, shape: SHAPE, seed: 1 });
      const [b0, b1, b2] = [
        await take({ ...plan(dir), workers: 0 }, 4),
        await take({ ...plan(dir), workers: 1 }, 4),
        await take({ ...plan(dir), workers: 2, prefetch: 3 }, 4),
      ];
      for (let i = 0; i < 4; i++) {
        expect(b1[i]!.index).toBe(i);
        expect(Buffer.from(b1[i]!.images.buffer).equals(Buffer.from(b0[i]!.images.buffer))).toBe(true);
        expect(Buffer.from(b2[i]!.images.buffer).equals(Buffer.from(b0[i]!.images.buffer))).toBe(true);
        expect(Array.from(b2[i]!.labels)).toEqual(Array.from(b0[i]!.labels));
        expect(b2[i]!.history).toEqual(b0[i]!.history);
      }
      expect(Array.from(b0[1]!.images)).not.toEqual(Array.from(b0[0]!.images));
      // Resuming at batch 2 reproduces batches 2, 3.
      const r = await take({ ...plan(dir), workers: 1, startBatch: 2, cacheCases: 1 }, 2);
      expect(Array.from(r[1]!.images)).toEqual(Array.from(b0[3]!.images));
    });
  });

  it('batch layout is NDHWC; the recorded history replays each item; epochs visit every case once', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, shape: SHAPE, seed: 2 });
      const [b] = await take({ ...plan(dir), batchSize: 3 }, 1);
      const [B, pz, py, px, C] = b!.imageShape;
      expect([B, pz, py, px, C]).toEqual([3, 5, 6, 7, 2]);
      expect(b!.images).toHaveLength(3 * 5 * 6 * 7 * 2);
      expect([...b!.caseIds].sort()).toEqual(['phantom_000', 'phantom_001', 'phantom_002']);
      // The last item is foreground-forced (fraction 0.34 of 3 → 1 item).
      expect(b!.draws.map((d) => d.forcedClass !== null)).toEqual([false, false, true]);
      const ds = await openDataset(dir);
      const i = 1;
      const c = await ds.loadCase(b!.caseIds[i]!);
      const again = replay(createSubject({ image: c.image, label: c.label! }), b!.history[i]!);
      const n = 7 * 6 * 5;
      const img = again.volumes.image!.data;
      for (let v = 0; v < n; v += 17)
        for (let ch = 0; ch < 2; ch++) expect(b!.images[(i * n + v) * 2 + ch]).toBe(img[ch * n + v]);
      expect(Array.from(b!.labels.subarray(i * n, (i + 1) * n))).toEqual(
        Array.from(again.volumes.label!.data),
      );
    });
  });

  it('without spatial augmentation a batch item is the exact crop of its case (nnU-Net layout, class-balanced)', async () => {
    await withTempDir(async (dir) => {
      await writeNnunetFixture(dir, 3);
      const [b] = await take(
        {
          dataset: dir,
          patchShape: PATCH,
          batchSize: 4,
          seed: 3,
          sampler: { type: 'class-balanced', ratios: { 1: 1, 2: 1, 3: 1, 0: 1 } },
          workers: 1,
        },
        1,
      );
      expect(b!.draws.map((d) => d.forcedClass).sort()).toEqual([0, 1, 2, 3]);
      const ds = await openDataset(dir);
      const n = 7 * 6 * 5;
      for (let i = 0; i < 4; i++) {
        const c = await ds.loadCase(b!.caseIds[i]!);
        const lab = extractPatch(c.label!, { start: b!.draws[i]!.start, patchShape: PATCH });
        expect(Array.from(b!.labels.subarray(i * n, (i + 1) * n))).toEqual(Array.from(lab.data));
        expect(Array.from(lab.data)).toContain(b!.draws[i]!.forcedClass);
      }
    });
  });

  it('class-balanced batches contain each class at the configured rate (uniform patches often miss the tube)', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, shape: [24, 20, 16], seed: 4 });
      const patchShape: [number, number, number] = [6, 6, 4];
      const n = 6 * 6 * 4;
      const ratios = { 0: 1, 1: 1, 2: 1, 3: 2 }; // the tube (3) twice as often
      const batches = 24;
      const contains = async (sampler: LoaderOptions['sampler']) => {
        const got = await take({ dataset: dir, patchShape, batchSize: 5, seed: 9, ...(sampler ? { sampler } : {}) }, batches);
        const hits = [0, 0, 0, 0];
        for (const b of got) {
          if (sampler?.type === 'class-balanced') expect(b.draws.map((d) => d.forcedClass).sort()).toEqual([0, 1, 2, 3, 3]);
          for (let i = 0; i < 5; i++) {
            const present = new Set(b.labels.subarray(i * n, (i + 1) * n));
            for (let c = 0; c < 4; c++) if (present.has(c)) hits[c]! += 1;
            const forced = b.draws[i]!.forcedClass;
            if (forced !== null) expect(present.has(forced)).toBe(true);
          }
        }
        return hits.map((h) => h / (5 * batches));
      };
      const balanced = await contains({ type: 'class-balanced', ratios });
      // every class is in at least its configured share of the patches (it may appear in others too)
      for (const [c, w] of Object.entries(ratios)) expect(balanced[Number(c)]!).toBeGreaterThanOrEqual(w / 5);
      const uniform = await contains(undefined);
      expect(uniform[3]!).toBeLessThan(0.4);
      expect(balanced[3]!).toBeGreaterThan(uniform[3]! + 0.15);
    });
  });

  it('shared decoded cases: batches equal the disk-reading loader, and no file is read', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, shape: SHAPE, seed: 5 });
      const ds = await openDataset(dir);
      const cases = new Map(await Promise.all(ds.caseIds.map(async (id) => [id, await ds.loadCase(id)] as const)));
      const fromDisk = await take(plan(dir), 3);
      let reads = 0;
      const stop = onNiftiFileRead(() => void reads++);
      try {
        const shared = await take({ ...plan(join(dir, 'not-read')), cases }, 3);
        for (let i = 0; i < 3; i++) {
          expect(Array.from(shared[i]!.images)).toEqual(Array.from(fromDisk[i]!.images));
          expect(Array.from(shared[i]!.labels)).toEqual(Array.from(fromDisk[i]!.labels));
        }
        const subset = await take({ ...plan(dir), cases, caseIds: ['phantom_002'], batchSize: 1 }, 1);
        expect(subset[0]!.caseIds).toEqual(['phantom_002']);
      } finally {
        stop();
      }
      expect(reads).toBe(0);
      await expect(createLoader({ ...plan(dir), cases, caseIds: ['nope'] })).rejects.toThrowErrorMatchingInlineSnapshot(
        `[InvalidArgumentError: createLoader: case ids not among the cases given: nope]`,
      );
    });
  });

  it('works on folder datasets', async () => {
    await withTempDir(async (dir) => {
      await writeFoldersFixture(dir, 2);
      const [b] = await take(
        { dataset: dir, patchShape: PATCH, batchSize: 2, seed: 1, transforms: [{ type: 'blur' }] },
        1,
      );
      expect(b!.imageShape).toEqual([2, 5, 6, 7, 1]);
    });
  });

  it('a bad dataset fails at creation, before any worker starts', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 2, shape: SHAPE });
      await rm(join(dir, 'imagesTr', 'phantom_001.nii.gz'));
      await expect(createLoader({ ...plan(dir), workers: 2 })).rejects.toThrow(DatasetError);
      await expect(createLoader({ ...plan(dir), validate: 'files' })).rejects.toThrow(DatasetError);
    });
  });

  it('rejects bad options', async () => {
    await expect(
      createLoader({ ...plan('/nonexistent'), batchSize: 0 }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: createLoader: batchSize must be a positive integer, got 0]`,
    );
    await expect(createLoader({ ...plan('/x'), workers: -1 })).rejects.toThrow(InvalidArgumentError);
  });
});
