import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { emitAdd, emitConcat, emitMul, emitPad, emitSlice, emitTranspose } from './emit-tensor.js';
import { emitConv3d } from './emit-conv.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, randomFilter, reportAgreements } from '../test/ort.js';
import { NCDHW_TO_NDHWC } from './layout.js';

const X: [number, number, number, number, number] = [2, 3, 5, 6, 7];
// A second and third operand made in the graph from x (a 1×1×1 conv), so every case has one input.
const wa = randomFilter([1, 1, 1, 3, 3], 'a');
const wb = randomFilter([1, 1, 1, 3, 3], 'b');
const ta = (x: tf.Tensor5D) => tf.conv3d(x, tf.tensor5d(wa.data, [1, 1, 1, 3, 3]), 1, 'same');
const tb = (x: tf.Tensor5D) => tf.conv3d(x, tf.tensor5d(wb.data, [1, 1, 1, 3, 3]), 1, 'same');

afterAll(() => reportAgreements('emit-tensor.test.ts'));

describe('tensor emitters vs tfjs', () => {
  it.each([
    {
      title: 'Add of two',
      emit: (b, x) => emitAdd(b, [x, emitConv3d(b, x, { weight: wa })]),
      reference: (x) => tf.add(x, ta(x)),
    },
    {
      title: 'Sum of three (a cell node)',
      emit: (b, x) => emitAdd(b, [x, emitConv3d(b, x, { weight: wa }), emitConv3d(b, x, { weight: wb })]),
      reference: (x) => tf.addN([x, ta(x), tb(x)]),
    },
    {
      title: 'Mul',
      emit: (b, x) => emitMul(b, [x, emitConv3d(b, x, { weight: wa })]),
      reference: (x) => tf.mul(x, ta(x)),
    },
    {
      title: 'Concat over channels [x, a]',
      emit: (b, x) => emitConcat(b, [x, emitConv3d(b, x, { weight: wa })]),
      reference: (x) => tf.concat([x, ta(x)], 4),
    },
    {
      title: 'Pad end by [0,1,1], value 0',
      emit: (b, x) => emitPad(b, x, { begin: [0, 0, 0], end: [0, 1, 1] }),
      reference: (x) =>
        tf.pad(x, [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ]),
    },
    {
      title: 'Pad begin [1,0,2] value 0.5 and crop (negative) end',
      emit: (b, x) => emitPad(b, x, { begin: [1, 0, 2], end: [0, -1, 0], value: 0.5 }),
      reference: (x) =>
        tf.slice(
          tf.pad(
            x,
            [
              [0, 0],
              [1, 0],
              [0, 0],
              [2, 0],
              [0, 0],
            ],
            0.5,
          ),
          [0, 0, 0, 0, 0],
          [2, 6, 5, 9, 3],
        ),
    },
    {
      title: 'Slice [1:, 1:, 1:] then Pad end (factorised reduce shift)',
      emit: (b, x) => emitPad(b, emitSlice(b, x, { begin: [1, 1, 1] }), { begin: [0, 0, 0], end: [1, 1, 1] }),
      reference: (x) =>
        tf.pad(tf.slice(x, [0, 1, 1, 1, 0], [2, 4, 5, 6, 3]), [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 1],
          [0, 0],
        ]),
    },
    {
      title: 'Slice [1:4, 0:-1, 2:]',
      emit: (b, x) => emitSlice(b, x, { begin: [1, 0, 2], end: [4, -1, 7] }),
      reference: (x) => tf.slice(x, [0, 1, 0, 2, 0], [2, 3, 5, 5, 3]),
    },
  ] satisfies Array<{
    title: string;
    emit: Parameters<typeof compareWithVoxnas>[0]['emit'];
    reference: (x: tf.Tensor5D) => tf.Tensor;
  }>)('x=[2,3,5,6,7] $title', async ({ title, emit, reference }) => {
    await compareWithVoxnas({ title, input: X, emit, reference });
  });

  it('x=[2,3,5,6,7] Transpose NCDHW → NDHWC gives the voxnas tensor', async () => {
    await compareWithVoxnas({
      title: 'Transpose NCDHW → NDHWC',
      input: X,
      outputLayout: 'ndhwc',
      emit: (b, x) => emitTranspose(b, x, { perm: NCDHW_TO_NDHWC }),
      reference: (x) => tf.clone(x),
    });
  });

  it('tracks shapes through concat, pad, slice and transpose', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 5, 'H', 7] });
    const c = emitConcat(b, [x, x]);
    const p = emitPad(b, c, { begin: [0, 0, 0], end: [1, 0, 1] });
    const s = emitSlice(b, p, { begin: [1, 0, 1] });
    const t = emitTranspose(b, s, { perm: NCDHW_TO_NDHWC });
    expect(b.valueInfo(c)?.shape).toEqual(['N', 6, 5, 'H', 7]);
    expect(b.valueInfo(p)?.shape).toEqual(['N', 6, 6, 'H', 8]);
    expect(b.valueInfo(s)?.shape).toEqual(['N', 6, 5, 'H', 7]);
    expect(b.valueInfo(t)?.shape).toEqual(['N', 5, 'H', 7, 6]);
  });

  it('rejects bad options', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect(() => emitAdd(b, [x])).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitAdd(add): expected at least 2 input names, got ["x"]]`,
    );
    expect(() => emitConcat(b, [x, 'nope'])).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConcat(concat): input "nope" is not defined in the graph, expected a graph input or an earlier emitter's output]`,
    );
    expect(() =>
      emitPad(b, x, { begin: [0, 0], end: [1, 1, 1] } as never),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitPad(pad): begin and end must be [d, h, w] integers, got { begin: [0, 0], end: [1, 1, 1] }]`,
    );
    expect(() => emitSlice(b, x, { begin: [0.5, 0, 0] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitSlice(slice): begin (and end) must be [d, h, w] integers, got { begin: [0.5, 0, 0] }]`,
    );
    expect(() => emitTranspose(b, x, { perm: [0, 1, 2, 3, 3] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitTranspose(transpose): perm must be a permutation of the 5 axes of "x", got [0, 1, 2, 3, 3]]`,
    );
  });
});
