import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { UNet, type UNetOptions, type UNetRecompute } from './unet.js';

function crossEntropy(logits: tf.Tensor5D, labels: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

/** Loss, gradients (by variable path) and buffers after one step of `net`. */
function step(net: UNet, x: tf.Tensor5D, y: tf.Tensor): { loss: number; grads: Map<string, Float32Array>; buffers: Float32Array[] } {
  const named = net.namedVariables().filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => crossEntropy(net.apply(x), y), named.map((v) => v.variable));
  const out = new Map<string, Float32Array>();
  for (const { path, variable } of named) if (grads[variable.name] !== undefined) out.set(path, grads[variable.name]!.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  const buffers = net.namedVariables().filter((v) => !v.trainable).map((v) => v.variable.dataSync() as Float32Array);
  return { loss, grads: out, buffers };
}

describe("UNet recompute: 'level'", () => {
  it.each([
    { name: 'levels 3, instance norm, transposed', config: { levels: 3, baseChannels: 4 } as Omit<UNetOptions, 'rng'> },
    { name: 'levels 3, batch norm, trilinear', config: { levels: 3, baseChannels: 4, norm: 'batch', upsampling: 'trilinear' } as Omit<UNetOptions, 'rng'> },
    { name: 'levels 2, no norm, deep supervision', config: { levels: 2, baseChannels: 3, norm: 'none', deepSupervision: true } as Omit<UNetOptions, 'rng'> },
  ])('$name: the same loss, gradients and BatchNorm statistics as without; nothing leaks; lower peak', async ({ config }) => {
    await expectNoLeaks(async () => {
      const shape: [number, number, number, number, number] = [2, 8, 12, 16, 1];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 5) as tf.Tensor5D;
      const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, 2, 'int32', 6), 2));
      const plain = new UNet({ ...config, rng: new Rng(2) });
      const recomputed = new UNet({ ...config, rng: new Rng(2), recompute: 'level' });
      expect(recomputed.recompute).toBe('level');
      const a = step(recomputed, x, y);
      const b = step(plain, x, y);
      expect(a.loss).toBeCloseTo(b.loss, 5);
      expect([...a.grads.keys()]).toEqual([...b.grads.keys()]);
      expect(a.grads.size).toBe(plain.trainableVariables().length);
      for (const [path, g] of b.grads) expectClose(a.grads.get(path)!, g, { atol: 1e-5, rtol: 1e-4 });
      expect(a.buffers).toHaveLength(b.buffers.length);
      a.buffers.forEach((buf, i) => expectClose(buf, b.buffers[i]!, { atol: 1e-6, rtol: 1e-5 }));
      const peak = async (net: UNet) =>
        (
          await tf.profile(() => {
            const r = tf.variableGrads(() => crossEntropy(net.apply(x), y), net.trainableVariables());
            tf.dispose([r.value, ...Object.values(r.grads)]);
          })
        ).peakBytes;
      const [peakPlain, peakRecomputed] = [await peak(plain), await peak(recomputed)];
      expect(peakRecomputed).toBeLessThan(0.8 * peakPlain);
      tf.dispose([x, y]);
      plain.dispose();
      recomputed.dispose();
    });
  });

  it('deep-supervision outputs and eval mode are unchanged', async () => {
    await expectNoLeaks(() => {
      const x = tf.randomNormal([1, 8, 8, 12, 1], 0, 1, 'float32', 7) as tf.Tensor5D;
      const config = { levels: 3, baseChannels: 4, deepSupervision: true, norm: 'batch' } as const;
      const plain = new UNet({ ...config, rng: new Rng(3) }).eval();
      const recomputed = new UNet({ ...config, rng: new Rng(3), recompute: 'level' }).eval();
      const a = plain.applyDeepSupervision(x);
      const b = recomputed.applyDeepSupervision(x);
      expect(b).toHaveLength(a.length);
      b.forEach((t, i) => expectClose(t.dataSync(), a[i]!.dataSync(), { atol: 0, rtol: 0 }));
      tf.dispose([x, ...a, ...b]);
      plain.dispose();
      recomputed.dispose();
    });
  });

  it('rejects an unknown mode', () => {
    expect(() => new UNet({ rng: new Rng(1), levels: 2, baseChannels: 2, recompute: 'cell' as UNetRecompute })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: UNet: recompute is "cell", expected 'none' or 'level']`,
    );
    const net = new UNet({ rng: new Rng(1), levels: 2, baseChannels: 2 });
    expect(() => net.setRecompute('x' as UNetRecompute)).toThrow(InvalidArgumentError);
    net.dispose();
  });
});
