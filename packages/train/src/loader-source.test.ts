import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { Rng } from '@voxnas/core';
import { createLoader, generatePhantomDataset } from '@voxnas/datasets';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { TinyNet } from '../test/tiny-net.js';
import { loaderSource } from './loader-source.js';
import type { TrainBatch } from './batch.js';
import { Trainer } from './node/trainer.js';

const PLAN = {
  patchShape: [7, 6, 5] as [number, number, number],
  batchSize: 2,
  seed: 3,
  sampler: { type: 'foreground' as const, fraction: 0.5 },
  transforms: [{ type: 'flip' as const }, { type: 'gamma' as const, options: { p: 0.5 } }],
};

const loss = (out: tf.Tensor5D, b: TrainBatch) => tf.losses.softmaxCrossEntropy(b.label, out) as tf.Scalar;

describe('loaderSource', () => {
  it('trains from the real prefetching loader and resumes bit-identically mid-stream', async () => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir: join(dir, 'data'), cases: 2, shape: [15, 13, 9], modalities: 1, seed: 4 });
      const make = (seed: number, prefetch: number) => {
        const source = loaderSource({ open: (startBatch) => createLoader({ dataset: data, ...PLAN, prefetch, startBatch }), numClasses: 4 });
        const net = new TinyNet(new Rng(seed).fork('init'), { channelsOut: 4 });
        const trainer = new Trainer({ network: net, optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 0.01 }, loss, data: source });
        return { source, net, trainer };
      };
      await expectNoLeaks(async () => {
        const full = make(1, 2);
        for (let i = 0; i < 6; i++) await full.trainer.step();
        expect(full.source.position).toBe(6);

        const first = make(1, 3); // prefetches further ahead than it consumes
        for (let i = 0; i < 2; i++) await first.trainer.step();
        await first.trainer.saveCheckpoint(join(dir, 'ck'));
        await first.source.close();
        first.trainer.dispose();
        first.net.dispose();

        const resumed = make(9, 2);
        await resumed.trainer.loadCheckpoint(join(dir, 'ck'));
        expect(resumed.source.getState()).toEqual({ batch: 2 });
        for (let i = 2; i < 6; i++) await resumed.trainer.step();
        expect(resumed.net.weights()).toEqual(full.net.weights());
        for (const s of [full, resumed]) {
          await s.source.close();
          s.trainer.dispose();
          s.net.dispose();
        }
      });
    });
  });

  it('gives one-hot float labels that sum to 1, or the loader’s indices', async () => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir, cases: 1, shape: [12, 11, 9], modalities: 1, seed: 5 });
      const onehot = loaderSource({ open: (startBatch) => createLoader({ dataset: data, ...PLAN, startBatch }), numClasses: 4 });
      const index = loaderSource({ open: (startBatch) => createLoader({ dataset: data, ...PLAN, startBatch }), numClasses: 4, labels: 'index' });
      const a = await onehot.next();
      const b = await index.next();
      expect(a.image.shape).toEqual([2, 5, 6, 7, 1]);
      expect(a.label.shape).toEqual([2, 5, 6, 7, 4]);
      expect(b.label.dtype).toBe('int32');
      const argmax = tf.tidy(() => tf.argMax(a.label, -1));
      expect(Array.from(argmax.dataSync())).toEqual(Array.from(b.label.dataSync()));
      const sums = tf.tidy(() => tf.sum(a.label, -1));
      expect(new Set(sums.dataSync())).toEqual(new Set([1]));
      tf.dispose([a.image, a.label, b.image, b.label, argmax, sums]);
      await expect(onehot.setState({ batch: -1 })).rejects.toThrowErrorMatchingInlineSnapshot(`[CheckpointError: loaderSource.setState: expected { batch: integer ≥ 0 }, got {"batch":-1}]`);
      await onehot.close();
      await index.close();
    });
  });
});
