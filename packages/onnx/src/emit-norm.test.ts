import * as tf from '@tensorflow/tfjs-core';
import { batchNorm3d, groupNorm3d, instanceNorm3d } from '@voxnas/ops';
import { afterAll, describe, expect, it } from 'vitest';
import { emitBatchNorm3d, emitGroupNorm3d, emitInstanceNorm3d } from './emit-norm.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, randomData, reportAgreements } from '../test/ort.js';

const X: [number, number, number, number, number] = [2, 4, 5, 6, 7];
const C = X[1];
const gamma = Float32Array.from(randomData([C], 'gamma', 0.5), (v) => 1 + v);
const beta = randomData([C], 'beta', 0.5);
const t1 = (a: Float32Array) => tf.tensor1d(a);

afterAll(() => reportAgreements('emit-norm.test.ts'));

describe('emitInstanceNorm3d vs @voxnas/ops instanceNorm3d', () => {
  it.each([
    { title: 'no affine (operator blocks)', affine: false, eps: undefined },
    { title: 'affine (U-Net InstanceNorm)', affine: true, eps: undefined },
    { title: 'affine eps=1e-3', affine: true, eps: 1e-3 },
  ])('x=[2,4,5,6,7] $title', async ({ title, affine, eps }) => {
    await compareWithVoxnas({
      title: `instanceNorm3d ${title}`,
      input: X,
      emit: (b, x) => emitInstanceNorm3d(b, x, { eps, ...(affine ? { gamma, beta } : {}) }),
      reference: (x) => instanceNorm3d(x, { eps, ...(affine ? { gamma: t1(gamma), beta: t1(beta) } : {}) }),
    });
  });
});

describe('emitGroupNorm3d vs @voxnas/ops groupNorm3d', () => {
  it.each([
    {
      title: 'groups=2 affine, opset 17 (Reshape + InstanceNormalization)',
      groups: 2,
      affine: true,
      opset: 17,
    },
    { title: 'groups=4 no affine, opset 17', groups: 4, affine: false, opset: 17 },
    { title: 'groups=1 affine, opset 17', groups: 1, affine: true, opset: 17 },
    { title: 'groups=2 affine, opset 21 (GroupNormalization)', groups: 2, affine: true, opset: 21 },
  ])('x=[2,4,5,6,7] $title', async ({ title, groups, affine, opset }) => {
    await compareWithVoxnas({
      title: `groupNorm3d ${title}`,
      input: X,
      opset,
      emit: (b, x) => emitGroupNorm3d(b, x, { groups, ...(affine ? { gamma, beta } : {}) }),
      reference: (x) => groupNorm3d(x, { groups, ...(affine ? { gamma: t1(gamma), beta: t1(beta) } : {}) }),
    });
  });
});

describe('emitBatchNorm3d vs @voxnas/ops batchNorm3d (eval mode: running statistics)', () => {
  it('x=[2,4,5,6,7] mean, variance, gamma, beta', async () => {
    const mean = randomData([C], 'mean', 0.3);
    const variance = Float32Array.from(randomData([C], 'var', 0.5), (v) => 0.5 + v * v);
    await compareWithVoxnas({
      title: 'batchNorm3d running statistics + affine',
      input: X,
      emit: (b, x) => emitBatchNorm3d(b, x, { mean, variance, gamma, beta }),
      reference: (x) =>
        batchNorm3d(x, { mean: t1(mean), variance: t1(variance), gamma: t1(gamma), beta: t1(beta) }),
    });
  });
});

describe('normalisation emitters: bad input', () => {
  it('rejects wrong lengths, groups that do not divide the channels, and unknown channels', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 4, 'D', 'H', 'W'] });
    const y = b.input('y', { dtype: 'float32', shape: ['N', 'C', 'D', 'H', 'W'] });
    expect(() => emitInstanceNorm3d(b, x, { gamma: new Float32Array(3) })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitInstanceNorm3d(instanceNorm3d): gamma must be a Float32Array of length 4 (one per channel), got length 3]`,
    );
    expect(() => emitInstanceNorm3d(b, y)).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitInstanceNorm3d(instanceNorm3d): the channel count is not known, expected a static channel dim on the input or { channels }]`,
    );
    expect(() => emitGroupNorm3d(b, x, { groups: 3 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitGroupNorm3d(groupNorm3d): groups must divide the 4 channels, got groups=3]`,
    );
    expect(() =>
      emitBatchNorm3d(b, x, { mean: new Float32Array(4), variance: new Float32Array(2) }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitBatchNorm3d(batchNorm3d): variance must be a Float32Array of length 4 (one per channel), got length 2]`,
    );
    expect(() => emitInstanceNorm3d(b, x, { eps: -1 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitInstanceNorm3d(instanceNorm3d): eps must be a finite number ≥ 0, got -1]`,
    );
  });
});
