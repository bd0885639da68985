import '@tensorflow/tfjs'; // registers tfjs's gradients (tfjs-core's Node build has none)
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import '../src/index.js';
import { maxAbs, skipNative, skipNote, withJsKernels } from './support.js';
import { makeUnetLikeBatch, makeUnetLikeWeights, unetLikeStep, type UnetLikeSpec } from './unet-like-step.js';

const spec: UnetLikeSpec = { channelsIn: 2, width: 4, classes: 3 };

function step(x: tf.Tensor5D, t: tf.Tensor5D, w: ReturnType<typeof makeUnetLikeWeights>) {
  const { loss, grads } = unetLikeStep(x, t, w);
  const out = {
    loss: loss.dataSync()[0] as number,
    grads: Object.values(grads).map((g) => g.dataSync() as Float32Array),
  };
  tf.dispose([loss, ...Object.values(grads)]);
  return out;
}

describe.skipIf(skipNative)(`a U-Net-like training step is the same with native kernels${skipNote}`, () => {
  it.each([
    { shape: [1, 7, 9, 6] as [number, number, number, number] },
    { shape: [2, 5, 6, 7] as [number, number, number, number] },
  ])('x=$shape: loss and every weight gradient; no tensor leaks over steps', ({ shape }) =>
    expectNoLeaks(() => {
      const rng = new Rng(`unet-like ${shape.join()}`);
      const w = makeUnetLikeWeights(rng.fork('init'), spec);
      const { x, target } = makeUnetLikeBatch(rng.fork('data'), shape, spec);
      const native = step(x, target, w);
      const before = tf.memory().numTensors;
      const again = step(x, target, w);
      expect(tf.memory().numTensors).toBe(before);
      expect(again.loss).toBe(native.loss); // deterministic
      const js = withJsKernels(() => step(x, target, w));
      expect(native.loss).toBeCloseTo(js.loss, 5);
      native.grads.forEach((g, i) => {
        const ref = js.grads[i] as Float32Array;
        expectClose(g, ref, { atol: 1e-5 * Math.max(1e-3, maxAbs(ref)), rtol: 1e-3 });
      });
      tf.dispose([x, target, w.w1, w.w2, w.w3, w.w4]);
    }),
  );
});
