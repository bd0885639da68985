import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Conv3d } from './modules/conv3d.js';
import { BatchNorm3d, InstanceNorm3d } from './modules/norm.js';
import { ReLU } from './modules/activation.js';
import { Sequential } from './modules/sequential.js';
import type { Module } from './module.js';
import { recompute } from './recompute.js';

type Block = Module<tf.Tensor5D, tf.Tensor5D>;

function blocks(count: number, channels: number, norm: 'instance' | 'batch', rng: Rng): Sequential[] {
  return Array.from({ length: count }, (_, i) => {
    const cin = i === 0 ? 1 : channels;
    const n: Block = norm === 'instance' ? new InstanceNorm3d({ channels, affine: true }) : new BatchNorm3d({ channels });
    return new Sequential({
      conv1: new Conv3d({ channelsIn: cin, channelsOut: channels, kernel: 3, rng: rng.fork(`c${i}a`) }),
      norm: n,
      relu: new ReLU(),
      conv2: new Conv3d({ channelsIn: channels, channelsOut: channels, kernel: 3, bias: true, rng: rng.fork(`c${i}b`) }),
    });
  });
}

/** The chain of blocks; each block a segment when `segments` (the second block adds the first one's output). */
function chain(bs: readonly Sequential[], x: tf.Tensor5D, segments: boolean): tf.Tensor5D {
  let h = x;
  for (const [i, b] of bs.entries()) {
    const run = (t: tf.Tensor5D): tf.Tensor5D => (i === 1 ? tf.add(b.forward(t), t) : b.forward(t));
    h = segments ? recompute((t) => run(t as tf.Tensor5D), { inputs: [h], variables: b.trainableVariables() }) : run(h);
  }
  return h;
}

function loss(bs: readonly Sequential[], x: tf.Tensor5D, segments: boolean): tf.Scalar {
  return tf.mean(tf.square(tf.sub(chain(bs, x, segments), 0.5)));
}

describe('recompute', () => {
  it.each(['instance', 'batch'] as const)('norm=%s: loss, weight and input gradients and BatchNorm statistics equal the plain ones; nothing leaks', async (norm) => {
    await expectNoLeaks(() => {
      // Two identical networks (same seed): one trained plainly, one with a segment per block.
      const plainNet = blocks(3, 3, norm, new Rng(5));
      const segNet = blocks(3, 3, norm, new Rng(5));
      const plainVars = plainNet.flatMap((b) => b.trainableVariables());
      const segVars = segNet.flatMap((b) => b.trainableVariables());
      const x = tf.randomNormal([2, 5, 6, 7, 1], 0, 1, 'float32', 3) as tf.Tensor5D;
      const plain = tf.variableGrads(() => loss(plainNet, x, false), plainVars);
      const seg = tf.variableGrads(() => loss(segNet, x, true), segVars);
      expect(Object.keys(seg.grads)).toHaveLength(segVars.length);
      expectClose(seg.value.dataSync(), plain.value.dataSync(), { atol: 1e-6, rtol: 1e-5 });
      plainVars.forEach((v, i) => expectClose(seg.grads[segVars[i]!.name]!.dataSync(), plain.grads[v.name]!.dataSync(), { atol: 1e-5, rtol: 1e-4 }));
      // BatchNorm's running statistics move once per forward pass, not again when a segment is recomputed.
      const buffers = (bs: readonly Sequential[]) => bs.flatMap((b) => b.namedVariables().filter((v) => !v.trainable).map((v) => v.variable.dataSync()));
      const [plainBuf, segBuf] = [buffers(plainNet), buffers(segNet)];
      expect(segBuf).toHaveLength(norm === 'batch' ? 6 : 0);
      segBuf.forEach((b, i) => expectClose(b, plainBuf[i]!, { atol: 1e-6, rtol: 1e-5 }));
      // The input's gradient too.
      const gxPlain = tf.grad((t: tf.Tensor) => loss(plainNet, t as tf.Tensor5D, false))(x);
      const gxSeg = tf.grad((t: tf.Tensor) => loss(segNet, t as tf.Tensor5D, true))(x);
      expectClose(gxSeg.dataSync(), gxPlain.dataSync(), { atol: 1e-5, rtol: 1e-4 });
      tf.dispose([x, plain.value, seg.value, gxPlain, gxSeg, ...Object.values(plain.grads), ...Object.values(seg.grads)]);
      for (const b of [...plainNet, ...segNet]) b.dispose();
    });
  });

  it('lowers the tf.profile peak of a training step (6 segments, 12×13×14 × 8 channels)', async () => {
    await expectNoLeaks(async () => {
      const bs = blocks(6, 8, 'instance', new Rng(2));
      const vars = bs.flatMap((b) => b.trainableVariables());
      const x = tf.randomNormal([1, 12, 13, 14, 1], 0, 1, 'float32', 4) as tf.Tensor5D;
      const peak = async (segments: boolean) =>
        (
          await tf.profile(() => {
            const { value, grads } = tf.variableGrads(() => loss(bs, x, segments), vars);
            tf.dispose([value, ...Object.values(grads)]);
          })
        ).peakBytes;
      const plain = await peak(false);
      const seg = await peak(true);
      // Each segment holds ~8 full-size tensors at its inside; the chain keeps 6 boundaries instead.
      expect(seg).toBeLessThan(0.6 * plain);
      tf.dispose(x);
      for (const b of bs) b.dispose();
    });
  });

  it('outside a gradient tape it is the plain forward', async () => {
    await expectNoLeaks(() => {
      const bs = blocks(2, 3, 'instance', new Rng(9));
      const x = tf.randomNormal([1, 4, 5, 6, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
      const a = tf.tidy(() => chain(bs, x, false));
      const b = tf.tidy(() => chain(bs, x, true));
      expectClose(b.dataSync(), a.dataSync(), { atol: 0, rtol: 0 });
      tf.dispose([x, a, b]);
      for (const m of bs) m.dispose();
    });
  });

  it('rejects inputs that are not tensors', () => {
    expect(() => recompute(() => tf.scalar(1), { inputs: [], variables: [] })).toThrow(InvalidArgumentError);
    expect(() => recompute(() => tf.scalar(1), { inputs: [1 as unknown as tf.Tensor], variables: [] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: recompute: options.inputs must be a non-empty array of tensors]`,
    );
  });
});
