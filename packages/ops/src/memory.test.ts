import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { expectNoLeaks } from '@voxnas/testing';
import { RECOMPUTE_BYTES_PER_BOUNDARY_BYTE, TAPE_BYTES_PER_ACTIVATION_BYTE, estimateStepMemory, formatBytes, parseByteSize } from './memory.js';
import { Conv3d } from './modules/conv3d.js';

describe('estimateStepMemory', () => {
  it('optimizerBytes equals the bytes tf.train.adam allocates for its moments', async () => {
    await expectNoLeaks(() => {
      const conv = new Conv3d({ channelsIn: 3, channelsOut: 5, kernel: 3, bias: true, rng: new Rng(1) });
      const x = tf.randomNormal([1, 5, 6, 7, 3]) as tf.Tensor5D;
      const adam = tf.train.adam(1e-3);
      const before = tf.memory().numBytes;
      tf.tidy(() => {
        adam.minimize(() => tf.sum(conv.apply(x)) as tf.Scalar, false, conv.trainableVariables());
      });
      const slots = tf.memory().numBytes - before;
      const e = estimateStepMemory({ params: conv.parameterCount(), activationBytes: 0, inputBytes: 0, optimizer: 'adam' });
      adam.dispose();
      conv.dispose();
      x.dispose();
      expect(slots).toBe(e.optimizerBytes);
    });
  });

  it.each([
    ['adam', 2],
    ['momentum', 1],
    ['sgd', 0],
    ['none', 0],
  ] as const)('optimizer=%s keeps %i slot(s) per parameter', (optimizer, slots) => {
    const e = estimateStepMemory({ params: 1000, activationBytes: 1 << 20, inputBytes: 4096, optimizer });
    expect(e.optimizerBytes).toBe(4 * slots * 1000);
    expect(e.totalBytes).toBe(e.weightBytes + e.optimizerBytes + e.inputBytes + e.gradientBytes + e.tapeBytes);
  });

  it.each(['js', 'native'] as const)('kernels=%s scales the activations by its calibrated factor', (kernels) => {
    const e = estimateStepMemory({ params: 0, activationBytes: 1000, inputBytes: 0, kernels });
    expect(e.tapeBytes).toBeCloseTo(1000 * TAPE_BYTES_PER_ACTIVATION_BYTE[kernels], 6);
    expect(e.kernels).toBe(kernels);
  });

  it('negative counts and unknown optimisers are InvalidArgumentError', () => {
    expect(() => estimateStepMemory({ params: 1, activationBytes: 0, inputBytes: 0, kernels: 'gpu' as 'js' })).toThrow(InvalidArgumentError);
    expect(() => estimateStepMemory({ params: -1, activationBytes: 0, inputBytes: 0 })).toThrow(InvalidArgumentError);
    expect(() => estimateStepMemory({ params: 1, activationBytes: 0, inputBytes: 0, optimizer: 'lbfgs' as 'adam' })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: estimateStepMemory: optimizer must be one of adam, momentum, sgd, none, got "lbfgs"]`);
  });
});

describe('estimateStepMemory with recompute', () => {
  it('keeps the tape of the activations outside the segments, the largest segment (scaled) and the kept boundaries', () => {
    const base = { params: 10, activationBytes: 1000, inputBytes: 8, optimizer: 'none' as const, kernels: 'js' as const };
    const plain = estimateStepMemory(base);
    const r = estimateStepMemory({ ...base, recompute: { segmentBytes: [300, 500, 100], boundaryBytes: 40, segmentScale: 1.5 } });
    expect(r.activationBytes).toBe(plain.activationBytes);
    expect(r.tapeBytes).toBeCloseTo(TAPE_BYTES_PER_ACTIVATION_BYTE.js * (100 + 1.5 * 500) + RECOMPUTE_BYTES_PER_BOUNDARY_BYTE * 40, 9);
    expect(r.totalBytes - r.tapeBytes).toBe(plain.totalBytes - plain.tapeBytes);
  });
  it('segments larger than the activations or a negative boundary are InvalidArgumentError', () => {
    const base = { params: 1, activationBytes: 100, inputBytes: 0 };
    expect(() => estimateStepMemory({ ...base, recompute: { segmentBytes: [80, 30], boundaryBytes: 0 } })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: estimateStepMemory: recompute.segmentBytes must be a non-empty list summing to at most activationBytes (100), got 2 segment(s) summing to 110]`,
    );
    expect(() => estimateStepMemory({ ...base, recompute: { segmentBytes: [], boundaryBytes: 0 } })).toThrow(InvalidArgumentError);
    expect(() => estimateStepMemory({ ...base, recompute: { segmentBytes: [10], boundaryBytes: -1 } })).toThrow(InvalidArgumentError);
  });
});

describe('parseByteSize / formatBytes', () => {
  it.each([
    ['8G', 8 * 2 ** 30],
    ['512M', 512 * 2 ** 20],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['64k', 64 * 1024],
    ['1048576', 2 ** 20],
    ['2TB', 2 * 2 ** 40],
  ])('%s → %i bytes, and back', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
    expect(parseByteSize(formatBytes(bytes).replace(' ', ''))).toBeCloseTo(bytes, -Math.log10(bytes) + 3);
  });
  it.each(['', '8X', '-1G', '0', 'G', '1e9'])('%j is an InvalidArgumentError naming the flag', (text) => {
    expect(() => parseByteSize(text, '--memory-budget')).toThrow(/--memory-budget/);
    expect(() => parseByteSize(text, '--memory-budget')).toThrow(InvalidArgumentError);
  });
});
