import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { emitLeakyRelu, emitPRelu, emitRelu, emitSoftmax } from './emit-activation.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, randomData, reportAgreements } from '../test/ort.js';

const X: [number, number, number, number, number] = [2, 3, 5, 6, 7];
const alpha = Float32Array.from([0.25, 0.1, 0.5]);

afterAll(() => reportAgreements('emit-activation.test.ts'));

describe('activation emitters vs tfjs (the voxnas ReLU, LeakyReLU, PReLU modules and softmax)', () => {
  it.each([
    { title: 'Relu', emit: emitRelu, reference: (x: tf.Tensor5D) => tf.relu(x) },
    {
      title: 'LeakyRelu alpha=0.1',
      emit: (b, x) => emitLeakyRelu(b, x, { alpha: 0.1 }),
      reference: (x) => tf.leakyRelu(x, 0.1),
    },
    {
      title: 'LeakyRelu default alpha=0.01',
      emit: (b, x) => emitLeakyRelu(b, x),
      reference: (x) => tf.leakyRelu(x, 0.01),
    },
    {
      title: 'PRelu per channel',
      emit: (b, x) => emitPRelu(b, x, { alpha }),
      reference: (x) => tf.prelu(x, tf.tensor1d(alpha) as unknown as tf.Tensor5D),
    },
    { title: 'Softmax over channels', emit: (b, x) => emitSoftmax(b, x), reference: (x) => tf.softmax(x, 4) },
  ] satisfies Array<{
    title: string;
    emit: Parameters<typeof compareWithVoxnas>[0]['emit'];
    reference: (x: tf.Tensor5D) => tf.Tensor;
  }>)('x=[2,3,5,6,7] $title', async ({ title, emit, reference }) => {
    await compareWithVoxnas({ title, input: X, emit, reference });
  });

  it('rejects bad options', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect(() => emitPRelu(b, x, { alpha: randomData([2], 0) })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitPRelu(prelu): alpha must be a Float32Array of length 3 (one per channel), got length 2]`,
    );
    expect(() => emitSoftmax(b, x, { axis: 5 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitSoftmax(softmax): axis must be an integer in [−rank, rank) for input "x" of rank 5, got 5]`,
    );
    expect(() => emitLeakyRelu(b, x, { alpha: Number.NaN })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitLeakyRelu(leakyRelu): alpha must be a finite number, got NaN]`,
    );
    expect(() => emitRelu(b, 'missing')).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitRelu(relu): input "missing" is not defined in the graph, expected a graph input or an earlier emitter's output]`,
    );
  });
});
