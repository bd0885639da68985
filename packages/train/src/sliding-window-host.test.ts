// slidingWindowInferenceHost (a forward pass outside tfjs, on host arrays) against slidingWindowInference
// running the same convolution in tfjs: same tiling, blending, mirroring and argmax.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { slidingWindowInference, slidingWindowInferenceHost, type HostPredictFn } from './sliding-window.js';
import { windowStarts } from '@voxnas/volume';

const AFFINE = [0, -1.5, 0, 10, 2, 0, 0, -4, 0, 0, 1.2, 7, 0, 0, 0, 1];

function setup(channels: number) {
  const rng = new Rng('host sliding window');
  const image = createVolume({
    data: Float32Array.from({ length: 11 * 9 * 7 * channels }, () => rng.normal()),
    shape: [11, 9, 7],
    channels,
    affine: AFFINE,
  });
  // not flip-symmetric, so a wrong mirror would show
  const kernel = tf.tensor5d(Float32Array.from({ length: 27 * channels * 3 }, () => rng.normal()), [3, 3, 3, channels, 3]);
  const run = (x: tf.Tensor5D) => tf.conv3d(x, kernel, 1, 'same') as tf.Tensor5D;
  const host: HostPredictFn = async (input, shape) => {
    const y = tf.tidy(() => run(tf.tensor5d(input, [...shape] as [number, number, number, number, number])));
    const data = (await y.data()) as Float32Array;
    const out = { data, shape: y.shape.slice() };
    y.dispose();
    return out;
  };
  return { image, kernel, run, host };
}

describe('slidingWindowInferenceHost', () => {
  it.each([
    { channels: 1, mirror: false as const, batchSize: 1, activation: 'softmax' as const },
    { channels: 2, mirror: true as const, batchSize: 3, activation: 'softmax' as const },
    { channels: 1, mirror: ['x', 'z'] as const, batchSize: 2, activation: 'sigmoid' as const },
  ])('equals slidingWindowInference: channels=$channels mirror=$mirror batch=$batchSize $activation', async (c) => {
    await expectNoLeaks(async () => {
      const { image, kernel, run, host } = setup(c.channels);
      const options = { windowSize: [5, 4, 3], overlap: 0.5, batchSize: c.batchSize, mirror: c.mirror, activation: c.activation, output: 'both' } as const;
      const progress: Array<[number, number]> = [];
      const got = await slidingWindowInferenceHost(image, host, { ...options, onProgress: (d, t) => progress.push([d, t]) });
      const want = await slidingWindowInference(image, run, options);
      kernel.dispose();
      expectClose(got.probabilities!.data, want.probabilities!.data, { atol: 1e-6, rtol: 1e-5 });
      expect(Array.from(got.labels!.data)).toEqual(Array.from(want.labels!.data));
      expect(Array.from(got.probabilities!.affine)).toEqual(AFFINE);
      const total = windowStarts(11, 5, 0.5).length * windowStarts(9, 4, 0.5).length * windowStarts(7, 3, 0.5).length;
      expect(total).toBe(4 * 4 * 5);
      expect(progress.at(-1)).toEqual([total, total]);
      expect(progress.length).toBe(Math.ceil(total / c.batchSize));
    });
  });

  it('a predictor returning the wrong shape is a ShapeMismatchError', async () => {
    const { image, kernel } = setup(1);
    kernel.dispose();
    await expect(
      slidingWindowInferenceHost(image, async (input, [b, z, y]) => ({ data: input, shape: [b, z, y, 2, 1] }), { windowSize: [4, 4, 3] }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(
      `[ShapeMismatchError: slidingWindowInferenceHost: predict returned shape [1, 3, 4, 2, 1] (48 values), expected [1, 3, 4, 4, channels] NDHWC float32]`,
    );
  });
});
