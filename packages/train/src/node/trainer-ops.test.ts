import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { BatchNorm3d, Conv3d, InstanceNorm3d, ReLU, Sequential } from '@voxnas/ops';
import { Rng } from '@voxnas/core';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '@voxnas/core';
import { Trainer } from './trainer.js';
import type { BatchSource, TrainBatch } from '../batch.js';

// A real @voxnas/ops network, including BatchNorm running statistics (buffers, not trained).
function buildNet(seed: number) {
  const rng = new Rng(seed).fork('init');
  return new Sequential({
    conv1: new Conv3d({ channelsIn: 2, channelsOut: 4, kernel: 3, rng }),
    norm1: new InstanceNorm3d({ channels: 4, affine: true }),
    act1: new ReLU(),
    conv2: new Conv3d({ channelsIn: 4, channelsOut: 4, kernel: [3, 3, 1], rng }),
    norm2: new BatchNorm3d({ channels: 4 }),
    act2: new ReLU(),
    head: new Conv3d({ channelsIn: 4, channelsOut: 3, kernel: 1, bias: true, rng }),
  });
}

/** Batches drawn from an Rng: two-channel noise, labels from a fixed rule on the first channel. */
function source(seed: number): BatchSource {
  const rng = new Rng(seed);
  const shape = [2, 3, 5, 4, 2] as const;
  return {
    next(): TrainBatch {
      const img = Float32Array.from({ length: 2 * 3 * 5 * 4 * 2 }, () => rng.normal());
      const cls = Int32Array.from({ length: 2 * 3 * 5 * 4 }, (_, i) => (img[2 * i]! > 0.5 ? 2 : img[2 * i]! < -0.5 ? 1 : 0));
      return {
        image: tf.tensor5d(img, [...shape]),
        label: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor4d(cls, [2, 3, 5, 4], 'int32'), 3), 'float32')),
      };
    },
    getState: () => rng.getState() as unknown as JsonValue,
    setState: (s) => rng.setState(s as unknown as ReturnType<Rng['getState']>),
  };
}

const loss = (out: tf.Tensor5D, b: TrainBatch) => tf.losses.softmaxCrossEntropy(b.label, out) as tf.Scalar;

describe('Trainer with an @voxnas/ops Network', () => {
  it('resumes bit-identically, BatchNorm running statistics included', async () => {
    await withTempDir(async (dir) => {
      await expectNoLeaks(async () => {
        const make = (seed: number) => {
          const network = buildNet(seed);
          const trainer = new Trainer({
            network,
            optimizer: { kind: 'sgd', momentum: 0.99, nesterov: true, weightDecay: 3e-5 },
            schedule: { kind: 'poly', lr: 0.01, totalSteps: 6 },
            loss,
            data: source(seed + 100),
            clipGradNorm: 12,
          });
          return { network, trainer };
        };
        const values = (n: Sequential) => n.namedVariables().map((v) => [v.path, Array.from(v.variable.dataSync())]);
        const full = make(1);
        for (let i = 0; i < 6; i++) await full.trainer.step();
        const part = make(1);
        for (let i = 0; i < 3; i++) await part.trainer.step();
        await part.trainer.saveCheckpoint(join(dir, 'ck'));
        part.trainer.dispose();
        part.network.dispose();
        const resumed = make(2);
        await resumed.trainer.loadCheckpoint(join(dir, 'ck'));
        for (let i = 3; i < 6; i++) await resumed.trainer.step();
        expect(values(resumed.network)).toEqual(values(full.network));
        // The running statistics moved during training (so restoring them was tested).
        const fresh = buildNet(1);
        const mean = (n: Sequential) => n.namedVariables().find((v) => !v.trainable)!.variable.dataSync();
        expect(mean(full.network)).not.toEqual(mean(fresh));
        for (const s of [full, resumed]) {
          s.trainer.dispose();
          s.network.dispose();
        }
        fresh.dispose();
      });
    });
  });
});
