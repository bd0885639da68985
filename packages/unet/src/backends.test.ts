import '@tensorflow/tfjs'; // gradients of every tfjs op
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { UNet, type UNetOptions } from './unet.js';

const quiet = { logger: () => {} };
// What `initBackend()` picks here: cpu with @voxnas/kernels (oneDNN convolutions and pooling,
// fused instance/group norm and ReLU gradient, typed-array elementwise kernels) when built — always
// in CI, where .ci/run installs oneDNN.
const auto = await initBackend(quiet);
const skip = !auto.native && !process.env.CI;

/** Loss and the gradient of every weight of one training step (softmax cross-entropy). */
function step(net: UNet, x: tf.Tensor5D, onehot: tf.Tensor): { loss: number; grads: Float32Array[] } {
  const vars = net.trainableVariables();
  const { value, grads } = tf.variableGrads(
    () => tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar,
    vars,
  );
  const out = { loss: value.dataSync()[0] as number, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe.skipIf(skip)(`a U-Net training step is the same on every CPU kernel set${skip ? ` [skipped: ${auto.notes.join('; ')}]` : ''}`, () => {
  afterAll(() => initBackend(quiet));

  it.each<{ name: string; options: Omit<UNetOptions, 'rng'>; shape: [number, number, number, number, number] }>([
    { name: 'instance norm, transposed conv', options: { levels: 3, baseChannels: 4 }, shape: [1, 8, 12, 4, 1] },
    { name: 'group norm, trilinear, 2 classes of 3, batch 2', options: { levels: 2, baseChannels: 4, norm: 'group', groups: 2, upsampling: 'trilinear', classes: 3, inputChannels: 2 }, shape: [2, 6, 4, 10, 2] },
  ])('$name: native + fused kernels give tfjs-backend-cpu’s loss and gradients', ({ options, shape }) =>
    expectNoLeaks(async () => {
      const rng = new Rng(`backends ${shape.join()}`);
      const net = new UNet({ ...options, rng: rng.fork('init') });
      const classes = net.config.classes;
      const n = shape.slice(0, 4).reduce((a, b) => a * b, 1);
      const data = rng.fork('data');
      const x = tf.tensor5d(Float32Array.from({ length: n * shape[4] }, () => data.normal()), shape);
      const labels = tf.tensor1d(Int32Array.from({ length: n }, () => data.int(0, classes)), 'int32');
      const onehot = tf.tidy(() => tf.reshape(tf.oneHot(labels, classes), [...shape.slice(0, 4), classes]));
      await initBackend(quiet);
      const { kernelNames } = await tf.profile(() => step(net, x, onehot));
      expect(kernelNames).toContain('VoxnasGroupNorm');
      const fast = step(net, x, onehot);
      await initBackend({ ...quiet, backend: 'cpu' });
      const js = step(net, x, onehot);
      expect(fast.loss).toBeCloseTo(js.loss, 5);
      fast.grads.forEach((g, i) => expectClose(g, js.grads[i]!, { atol: 2e-5, rtol: 2e-3 }));
      net.dispose();
      tf.dispose([x, labels, onehot]);
    }),
  );
});
