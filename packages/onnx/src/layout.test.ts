import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { randomData } from '../test/ort.js';
import {
  conv3dFilterToOnnx,
  conv3dTransposeFilterToOnnx,
  depthwiseFilterToOnnx,
  ncdhwToNdhwc,
  ndhwcToNcdhw,
  transposeData,
} from './layout.js';

/** Row-major offset of `index` in `shape`. */
const at = (shape: readonly number[], index: readonly number[]) =>
  index.reduce((o, i, a) => o * shape[a]! + i, 0);

describe('layout conversions', () => {
  it.each([
    { shape: [2, 5, 6, 7, 3], perm: [0, 4, 1, 2, 3] },
    { shape: [2, 3, 5, 6, 7], perm: [0, 2, 3, 4, 1] },
    { shape: [3, 1, 4, 2], perm: [3, 1, 0, 2] },
    { shape: [4], perm: [0] },
  ])('transposeData matches tf.transpose: shape=$shape perm=$perm', async ({ shape, perm }) => {
    await expectNoLeaks(() => {
      const data = randomData(shape, 'transpose');
      const got = transposeData({ data, shape }, perm);
      const t = tf.tensor(data, shape);
      const want = tf.transpose(t, perm);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.dataSync()));
      tf.dispose([t, want]);
    });
  });

  it('ndhwcToNcdhw and ncdhwToNdhwc are inverse and put channels second', () => {
    const t = { data: randomData([2, 5, 6, 7, 3], 'x'), shape: [2, 5, 6, 7, 3] };
    const ncdhw = ndhwcToNcdhw(t);
    expect(ncdhw.shape).toEqual([2, 3, 5, 6, 7]);
    expect(ncdhw.data[at(ncdhw.shape, [1, 2, 4, 3, 6])]).toBe(t.data[at(t.shape, [1, 4, 3, 6, 2])]);
    expect(ncdhwToNdhwc(ncdhw)).toEqual(t);
  });

  it('conv3d filter [kd,kh,kw,cIn,cOut] → ONNX [cOut,cIn,kd,kh,kw]', () => {
    const f = { data: randomData([3, 2, 1, 4, 5], 'f'), shape: [3, 2, 1, 4, 5] };
    const w = conv3dFilterToOnnx(f);
    expect(w.shape).toEqual([5, 4, 3, 2, 1]);
    for (const [a, b, c, ci, co] of [
      [0, 0, 0, 0, 0],
      [2, 1, 0, 3, 4],
      [1, 0, 0, 2, 1],
    ] as const) {
      expect(w.data[at(w.shape, [co, ci, a, b, c])]).toBe(f.data[at(f.shape, [a, b, c, ci, co])]);
    }
  });

  it('depthwise filter [kd,kh,kw,C,m] → ONNX [C·m,1,kd,kh,kw] with output channel c·m + j', () => {
    const f = { data: randomData([3, 3, 2, 4, 2], 'dw'), shape: [3, 3, 2, 4, 2] };
    const w = depthwiseFilterToOnnx(f);
    expect(w.shape).toEqual([8, 1, 3, 3, 2]);
    for (const [a, b, c, ch, j] of [
      [0, 0, 0, 0, 1],
      [2, 1, 1, 3, 0],
      [1, 2, 0, 2, 1],
    ] as const) {
      expect(w.data[at(w.shape, [ch * 2 + j, 0, a, b, c])]).toBe(f.data[at(f.shape, [a, b, c, ch, j])]);
    }
  });

  it('transposed filter [kd,kh,kw,cOut,cIn] → ONNX ConvTranspose [cIn,cOut,kd,kh,kw], no kernel flip', () => {
    const f = { data: randomData([2, 3, 1, 4, 6], 't'), shape: [2, 3, 1, 4, 6] };
    const w = conv3dTransposeFilterToOnnx(f);
    expect(w.shape).toEqual([6, 4, 2, 3, 1]);
    for (const [a, b, c, co, ci] of [
      [0, 0, 0, 0, 0],
      [1, 2, 0, 3, 5],
      [1, 0, 0, 1, 2],
    ] as const) {
      expect(w.data[at(w.shape, [ci, co, a, b, c])]).toBe(f.data[at(f.shape, [a, b, c, co, ci])]);
    }
  });

  it('rejects malformed tensors', () => {
    expect(() =>
      transposeData({ data: new Float32Array(6), shape: [2, 3] }, [0, 0]),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: transposeData: perm [0, 0] is not a permutation of the 2 axes of shape [2, 3]]`,
    );
    expect(() =>
      conv3dFilterToOnnx({ data: new Float32Array(27), shape: [3, 3, 3] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: conv3dFilterToOnnx: expected a rank-5 tensor, got shape [3, 3, 3]]`,
    );
    expect(() =>
      ndhwcToNcdhw({ data: new Float32Array(5), shape: [1, 1, 1, 2, 3] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: ndhwcToNcdhw: data has 5 elements, shape [1, 1, 1, 2, 3] needs 6]`,
    );
  });
});
