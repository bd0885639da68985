// The "Data pipeline" example of README.md, run as a test so it cannot rot.
import { withTempDir } from '@voxnas/testing';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLoader, createSplits, generatePhantomDataset, openDataset, writeSplits } from '@voxnas/datasets';
import { compose, createSubject, randomFlip, randomGamma, randomSpatial, replay } from '@voxnas/volume';
import { Rng } from '@voxnas/core';

describe('README: data pipeline', () => {
  it('runs the example', async () => {
    await withTempDir(async (tmp) => {
      const root = await generatePhantomDataset({
        dir: join(tmp, 'phantom'),
        cases: 4,
        shape: [24, 20, 16],
        seed: 1,
      });
      const ds = await openDataset(root); // validates every case now (DatasetError names the case)
      await writeSplits(createSplits({ caseIds: ds.caseIds, folds: 2, seed: 0 }), join(root, 'splits.json'));

      // Augment one case; the history is a JSON replay log.
      const { image, label } = await ds.loadCase(ds.caseIds[0]!);
      const augment = compose([
        randomSpatial({ outShape: [16, 16, 8], elastic: { sigmaMm: 2 } }),
        randomFlip(),
        randomGamma({ p: 0.3 }),
      ]);
      const out = augment(createSubject({ image, label: label! }), new Rng(1).fork('augment'));
      const again = replay(createSubject({ image, label: label! }), JSON.parse(JSON.stringify(out.history)));

      // Patch batches from 2 worker threads: identical to 0 or 1 worker for the same seed.
      const loader = await createLoader({
        dataset: root,
        patchShape: [16, 16, 8],
        batchSize: 2,
        seed: 1,
        workers: 2,
        sampler: { type: 'foreground', fraction: 0.5 },
        transforms: [
          { type: 'spatial', options: { elastic: { sigmaMm: 2 } } },
          { type: 'flip' },
          { type: 'noise' },
        ],
      });
      const batch = await loader.next(); // images: Float32Array NDHWC [2, 8, 16, 16, 2]; labels: Int32Array
      await loader.close();

      expect(ds.caseIds).toHaveLength(4);
      expect(Array.from(again.volumes.image!.data)).toEqual(Array.from(out.volumes.image!.data));
      expect(out.history.map((s) => s.name)).toEqual(['spatial', 'flip', 'gamma']);
      expect(batch.imageShape).toEqual([2, 8, 16, 16, 2]);
      expect(batch.labels).toHaveLength(2 * 8 * 16 * 16);
    });
  });
});
