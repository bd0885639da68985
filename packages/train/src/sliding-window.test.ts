import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { createVolume, type Volume } from '@voxnas/volume';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { TrainConfigError } from './errors.js';
import { slidingWindowInference, type Size3 } from './sliding-window.js';
import { windowStarts } from '@voxnas/volume';

const SHAPE: Size3 = [11, 9, 7];
// A non-identity affine: the result must carry it unchanged.
const AFFINE = [0, -1.5, 0, 10, 2, 0, 0, -4, 0, 0, 1.2, 7, 0, 0, 0, 1];

function randomImage(seed: number, channels = 1): Volume<'float32'> {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: SHAPE[0] * SHAPE[1] * SHAPE[2] * channels }, () => rng.normal());
  return createVolume({ data, shape: SHAPE, channels, affine: AFFINE });
}

/** A 3×3×3 'same' convolution, 1 → 3 channels: translation-equivariant. */
function convPredict(seed: number, symmetric = false) {
  const rng = new Rng(seed);
  const k = new Float32Array(27 * 3);
  for (let z = 0; z < 3; z++)
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 3; x++)
        for (let c = 0; c < 3; c++) {
          const i = ((z * 3 + y) * 3 + x) * 3 + c;
          k[i] = symmetric ? (c + 1) * (1 + Math.abs(x - 1) + 2 * Math.abs(y - 1) + 4 * Math.abs(z - 1)) * 0.1 : rng.normal();
        }
  const kernel = tf.keep(tf.tensor5d(k, [3, 3, 3, 1, 3]));
  return { kernel, predict: (x: tf.Tensor5D) => tf.conv3d(x, kernel, 1, 'same') };
}

function wholeVolume(image: Volume, predict: (x: tf.Tensor5D) => tf.Tensor5D, softmax: boolean): Float32Array {
  const [nx, ny, nz] = image.shape;
  const out = tf.tidy(() => {
    const y = predict(tf.tensor5d(Float32Array.from(image.data as Float32Array), [1, nz, ny, nx, 1]));
    return tf.transpose(softmax ? tf.softmax(y) : y, [4, 0, 1, 2, 3]); // channel slowest, as in a Volume
  });
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** Voxels whose 3×3×3 neighbourhood lies inside every window covering them (or outside the image). */
function safeMask(window: Size3, overlap: number): Uint8Array {
  const perAxis = SHAPE.map((n, a) => {
    const ok = new Uint8Array(n).fill(1);
    for (const s of windowStarts(n, window[a]!, overlap)) {
      for (let i = s; i < s + window[a]! && i < n; i++) {
        const lowEdge = i === s && s > 0;
        const highEdge = i === s + window[a]! - 1 && i < n - 1;
        if (lowEdge || highEdge) ok[i] = 0;
      }
    }
    return ok;
  });
  const m = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let z = 0, i = 0; z < SHAPE[2]; z++)
    for (let y = 0; y < SHAPE[1]; y++) for (let x = 0; x < SHAPE[0]; x++, i++) m[i] = perAxis[0]![x]! & perAxis[1]![y]! & perAxis[2]![z]!;
  return m;
}

describe('slidingWindowInference', () => {
  it.each([
    { overlap: 0, blend: 'gaussian', batchSize: 1, mirror: false },
    { overlap: 0.25, blend: 'gaussian', batchSize: 3, mirror: false },
    { overlap: 0.5, blend: 'constant', batchSize: 2, mirror: false },
    { overlap: 0.8, blend: 'gaussian', batchSize: 4, mirror: true },
  ] as const)('identity predict returns the input exactly: %o', async (opts) => {
    const image = randomImage(1);
    await expectNoLeaks(async () => {
      const { probabilities } = await slidingWindowInference(image, (x) => tf.clone(x), {
        windowSize: [4, 5, 3],
        activation: 'none',
        ...opts,
      });
      expect(probabilities!.data).toEqual(image.data);
      expect(probabilities!.shape).toEqual(SHAPE);
      expect(Array.from(probabilities!.affine)).toEqual(AFFINE);
    });
  });

  it('float32 accumulation stays within float32 rounding of the input', async () => {
    const image = randomImage(2);
    const { probabilities } = await slidingWindowInference(image, (x) => tf.clone(x), {
      windowSize: [4, 5, 3],
      overlap: 0.5,
      activation: 'none',
      accumulate: 'float32',
    });
    expectClose(probabilities!.data, image.data, { atol: 1e-6, rtol: 1e-6 });
  });

  it('a window larger than the image equals whole-volume prediction (zero padding = conv padding)', async () => {
    const image = randomImage(3);
    const { kernel, predict } = convPredict(4);
    const ref = wholeVolume(image, predict, true);
    const { probabilities } = await slidingWindowInference(image, predict, { windowSize: [12, 10, 8] });
    expectClose(probabilities!.data, ref, { atol: 1e-6, rtol: 1e-6 });
    kernel.dispose();
  });

  it.each([
    [[5, 5, 4], 0.5, 2],
    [[6, 4, 5], 0.25, 5],
    [[4, 7, 3], 0.6, 1],
  ] as Array<[Size3, number, number]>)('conv predict window=%j overlap=%d batch=%d equals whole-volume away from window borders', async (windowSize, overlap, batchSize) => {
    const image = randomImage(5);
    const { kernel, predict } = convPredict(6);
    const ref = wholeVolume(image, predict, true);
    await expectNoLeaks(async () => {
      const { probabilities, labels } = await slidingWindowInference(image, predict, { windowSize, overlap, batchSize, output: 'both' });
      const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
      const mask = safeMask(windowSize, overlap);
      let checked = 0;
      let differs = 0;
      for (let v = 0; v < n; v++) {
        const got = [0, 1, 2].map((k) => probabilities!.data[k * n + v]!);
        const want = [0, 1, 2].map((k) => ref[k * n + v]!);
        if (mask[v]) {
          expectClose(got, want, { atol: 1e-6, rtol: 1e-5 });
          expect(labels!.data[v]).toBe(want.indexOf(Math.max(...want)));
          checked++;
        } else if (Math.max(...got.map((g, k) => Math.abs(g - want[k]!))) > 1e-4) differs++;
      }
      expect(checked).toBeGreaterThan(20);
      expect(differs).toBeGreaterThan(0); // window borders do change things: the mask is needed
      expect(labels!.dtype).toBe('uint8');
      expect(labels!.kind).toBe('label');
    });
    kernel.dispose();
  });

  it('mirroring leaves a flip-symmetric predictor unchanged', async () => {
    const image = randomImage(7);
    const { kernel, predict } = convPredict(0, true);
    const opts = { windowSize: [5, 4, 4], overlap: 0.5, batchSize: 2 } as const;
    const plain = await slidingWindowInference(image, predict, opts);
    const mirrored = await slidingWindowInference(image, predict, { ...opts, mirror: true });
    const yOnly = await slidingWindowInference(image, predict, { ...opts, mirror: ['y'] });
    expectClose(mirrored.probabilities!.data, plain.probabilities!.data, { atol: 1e-6, rtol: 1e-5 });
    expectClose(yOnly.probabilities!.data, plain.probabilities!.data, { atol: 1e-6, rtol: 1e-5 });
    kernel.dispose();
  });

  it('keeps tensor memory bounded: no growth in live tensors across batches', async () => {
    const image = randomImage(8, 2);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    await slidingWindowInference(
      image,
      (x) => {
        seen.push(tf.memory().numTensors);
        return tf.concat([tf.sum(x, 4, true), tf.neg(tf.sum(x, 4, true))], 4) as tf.Tensor5D;
      },
      { windowSize: [4, 4, 3], overlap: 0.5, batchSize: 2, mirror: ['x'] },
    );
    expect(seen.length).toBeGreaterThan(20);
    // Two passes per batch (plain, x-mirrored: one more live tensor); no growth across batches.
    expect(seen.every((s, i) => s === seen[i % 2])).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses multi-channel input in NDHWC channel order', async () => {
    const image = randomImage(9, 2);
    const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
    // predict = channel 0 − 2·channel 1, so a swapped channel order would show.
    const { probabilities } = await slidingWindowInference(
      image,
      (x) => tf.sub(tf.slice(x, [0, 0, 0, 0, 0], [-1, -1, -1, -1, 1]), tf.mul(tf.slice(x, [0, 0, 0, 0, 1], [-1, -1, -1, -1, 1]), 2)) as tf.Tensor5D,
      { windowSize: [5, 5, 5], activation: 'none' },
    );
    const want = Float32Array.from({ length: n }, (_, v) => image.data[v]! - 2 * image.data[n + v]!);
    expectClose(probabilities!.data, want, { atol: 1e-6, rtol: 1e-6 });
  });

  it('rejects bad options and a predict function of the wrong shape', async () => {
    const image = randomImage(10);
    await expect(slidingWindowInference(image, (x) => tf.clone(x), { windowSize: [4, 0, 3] })).rejects.toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: slidingWindowInference: windowSize is [4,0,3], expected 3 positive integers [x, y, z]]`);
    await expect(slidingWindowInference(image, (x) => tf.clone(x), { windowSize: [4, 4, 3], overlap: 1 })).rejects.toThrow(TrainConfigError);
    await expectNoLeaks(async () => {
      await expect(
        slidingWindowInference(image, (x) => tf.slice(x, [0, 0, 0, 0, 0], [-1, 2, -1, -1, -1]) as tf.Tensor5D, { windowSize: [4, 4, 3] }),
      ).rejects.toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: slidingWindowInference: predict returned shape [1, 2, 4, 4, 1], expected [1, 3, 4, 4, channels]]`);
    });
    await expect(
      slidingWindowInference(image, (x) => tf.clone(x), { windowSize: [4, 4, 3], mirror: ['w' as 'x'] }),
    ).rejects.toThrow(TrainConfigError);
  });
});
