import * as tf from '@tensorflow/tfjs-core';
import { conv3d, conv3dTranspose, depthwiseConv3d, type Padding3d } from '@voxnas/ops';
import { afterAll, describe, expect, it } from 'vitest';
import { emitConv3d, emitConv3dTranspose, emitDepthwiseConv3d, type ConvPadding } from './emit-conv.js';
import { OnnxEmitError } from './errors.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, randomData, randomFilter, reportAgreements } from '../test/ort.js';

const X: [number, number, number, number, number] = [2, 3, 5, 6, 7]; // NCDHW: odd, non-cubic
type T3 = [number, number, number];

afterAll(() => reportAgreements('emit-conv.test.ts'));

describe('emitConv3d vs @voxnas/ops conv3d', () => {
  const cases: Array<{
    title: string;
    kernel: T3;
    cOut: number;
    stride?: number | T3;
    dilation?: number;
    padding?: ConvPadding;
    bias?: boolean;
  }> = [
    { title: 'k=3 stride=1 same bias', kernel: [3, 3, 3], cOut: 4, bias: true },
    { title: 'k=3 stride=2 same', kernel: [3, 3, 3], cOut: 4, stride: 2 },
    { title: 'k=[1,3,3] stride=[1,2,2] same (p3d in-plane)', kernel: [1, 3, 3], cOut: 4, stride: [1, 2, 2] },
    { title: 'k=[3,1,1] stride=[2,1,1] same (p3d depth)', kernel: [3, 1, 1], cOut: 4, stride: [2, 1, 1] },
    { title: 'k=3 dilation=2 stride=1 same', kernel: [3, 3, 3], cOut: 4, dilation: 2 },
    { title: 'k=3 dilation=2 stride=2 same', kernel: [3, 3, 3], cOut: 4, dilation: 2, stride: 2 },
    { title: 'k=1 stride=2 same (factorised reduce)', kernel: [1, 1, 1], cOut: 5, stride: 2, bias: true },
    { title: 'k=2 stride=1 same (even kernel)', kernel: [2, 2, 2], cOut: 2 },
    { title: 'k=3 stride=2 valid', kernel: [3, 3, 3], cOut: 4, stride: 2, padding: 'valid' },
    { title: 'k=3 padding=1', kernel: [3, 3, 3], cOut: 4, padding: 1 },
    { title: 'k=3 padding=[0,1,2] stride=2', kernel: [3, 3, 3], cOut: 4, padding: [0, 1, 2], stride: 2 },
  ];
  it.each(cases)('x=[2,3,5,6,7] $title', async ({ title, kernel, cOut, stride, dilation, padding, bias }) => {
    const weight = randomFilter([...kernel, X[1], cOut], `w ${title}`);
    const b = bias ? randomData([cOut], `b ${title}`, 0.5) : undefined;
    await compareWithVoxnas({
      title: `conv3d ${title}`,
      input: X,
      emit: (g, x) =>
        emitConv3d(g, x, { weight, stride, dilation, padding, ...(b === undefined ? {} : { bias: b }) }),
      reference: (x) => {
        const w = tf.tensor5d(weight.data, weight.shape as T3 & [number, number, number, number, number]);
        const y = conv3d(x, w, { stride, dilation, padding: padding as Padding3d });
        return b === undefined ? y : tf.add(y, tf.tensor1d(b));
      },
    });
  });

  it.each(cases.filter((c) => c.stride !== undefined && c.padding === undefined))(
    'static input shape [2,3,5,6,7] (explicit pads, or a Pad node when tfjs crops): $title',
    async ({ title, kernel, cOut, stride, dilation }) => {
      const weight = randomFilter([...kernel, X[1], cOut], `ws ${title}`);
      await compareWithVoxnas({
        title: `conv3d static ${title}`,
        input: X,
        staticShape: true,
        emit: (g, x) => emitConv3d(g, x, { weight, stride, dilation }),
        reference: (x) => conv3d(x, tf.tensor5d(weight.data, [...kernel, X[1], cOut]), { stride, dilation }),
      });
    },
  );

  it('x=[2,6,5,6,7] groups=3 stride=2 (per-group conv3d + concat)', async () => {
    const groups = 3;
    const input: [number, number, number, number, number] = [2, 6, 5, 6, 7];
    const weight = randomFilter([3, 3, 3, 2, 9], 'grouped');
    await compareWithVoxnas({
      title: 'conv3d groups=3 stride=2',
      input,
      emit: (g, x) => emitConv3d(g, x, { weight, groups, stride: 2 }),
      reference: (x) => {
        const w = tf.tensor5d(weight.data, [3, 3, 3, 2, 9]);
        const xs = tf.split(x, groups, 4) as tf.Tensor5D[];
        const ws = tf.split(w, groups, 4) as tf.Tensor5D[];
        return tf.concat(
          xs.map((xg, i) => conv3d(xg, ws[i]!, { stride: 2 })),
          4,
        );
      },
    });
  });
});

describe('emitDepthwiseConv3d vs @voxnas/ops depthwiseConv3d', () => {
  const cases: Array<{ title: string; multiplier: number; stride?: number; dilation?: number }> = [
    { title: 'k=3 stride=1 multiplier=1', multiplier: 1 },
    { title: 'k=3 stride=2 multiplier=2', multiplier: 2, stride: 2 },
    { title: 'k=3 dilation=2 multiplier=1', multiplier: 1, dilation: 2 },
  ];
  it.each(cases)('x=[2,3,5,6,7] $title', async ({ title, multiplier, stride, dilation }) => {
    const weight = randomFilter([3, 3, 3, X[1], multiplier], `dw ${title}`);
    await compareWithVoxnas({
      title: `depthwiseConv3d ${title}`,
      input: X,
      emit: (g, x) => emitDepthwiseConv3d(g, x, { weight, stride, dilation }),
      reference: (x) =>
        depthwiseConv3d(x, tf.tensor5d(weight.data, [3, 3, 3, X[1], multiplier]), {
          stride,
          dilation,
          strategy: 'split',
        }),
    });
  });
});

describe('emitConv3dTranspose vs @voxnas/ops conv3dTranspose', () => {
  const cases: Array<{
    title: string;
    kernel: T3;
    stride: number | T3;
    padding?: 'same' | 'valid';
    bias?: boolean;
  }> = [
    { title: 'k=3 stride=2 same (tconv-3x3x3 expansion)', kernel: [3, 3, 3], stride: 2 },
    { title: 'k=2 stride=2 same (U-Net up) bias', kernel: [2, 2, 2], stride: 2, bias: true },
    { title: 'k=3 stride=1 same', kernel: [3, 3, 3], stride: 1 },
    { title: 'k=1 stride=2 same (k < s: leading zero voxel)', kernel: [1, 1, 1], stride: 2 },
    { title: 'k=3 stride=[1,2,2] same', kernel: [3, 3, 3], stride: [1, 2, 2] },
    { title: 'k=3 stride=2 valid', kernel: [3, 3, 3], stride: 2, padding: 'valid' },
  ];
  it.each(cases)('x=[2,3,5,6,7] $title', async ({ title, kernel, stride, padding, bias }) => {
    const cOut = 4;
    const weight = randomFilter([...kernel, cOut, X[1]], `tw ${title}`);
    const b = bias ? randomData([cOut], `tb ${title}`, 0.5) : undefined;
    await compareWithVoxnas({
      title: `conv3dTranspose ${title}`,
      input: X,
      emit: (g, x) =>
        emitConv3dTranspose(g, x, { weight, stride, padding, ...(b === undefined ? {} : { bias: b }) }),
      reference: (x) => {
        const y = conv3dTranspose(x, tf.tensor5d(weight.data, [...kernel, cOut, X[1]]), { stride, padding });
        return b === undefined ? y : tf.add(y, tf.tensor1d(b));
      },
    });
  });
});

describe('convolution emitters: output shapes and bad input', () => {
  it('tracks static output shapes and keeps symbolic dims where the size is unchanged', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 9, 8] });
    const y1 = emitConv3d(b, x, { weight: randomFilter([3, 3, 3, 3, 4], 1) });
    const y2 = emitConv3d(b, y1, { weight: randomFilter([3, 3, 3, 4, 4], 2), stride: 2 });
    const y3 = emitConv3dTranspose(b, y2, { weight: randomFilter([3, 3, 3, 2, 4], 3), stride: 2 });
    expect(b.valueInfo(y1)?.shape).toEqual(['N', 4, 'D', 9, 8]);
    expect(b.valueInfo(y2)?.shape).toEqual(['N', 4, undefined, 5, 4]);
    expect(b.valueInfo(y3)?.shape).toEqual(['N', 2, undefined, 10, 8]);
  });

  it('rejects bad options with an OnnxEmitError that names the emitter, the option and expected vs got', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    const w = randomFilter([3, 3, 3, 3, 4], 0);
    const error = (() => {
      try {
        emitConv3d(b, x, { weight: randomFilter([3, 3, 3, 2, 4], 0) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OnnxEmitError);
    expect((error as OnnxEmitError).code).toBe('E_ONNX_EMIT');
    expect((error as Error).message).toMatchInlineSnapshot(
      `"emitConv3d(conv3d): weight [3, 3, 3, 2, 4] with groups=1 expects 2 input channels, input "x" has 3"`,
    );
    expect(() =>
      emitConv3d(b, x, { weight: { data: new Float32Array(81), shape: [3, 3, 3, 3] } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): weight has shape [3, 3, 3, 3], expected rank 5 [kd, kh, kw, cIn/groups, cOut]]`,
    );
    expect(() =>
      emitConv3d(b, x, { weight: { data: new Float32Array(5), shape: [1, 1, 1, 3, 4] } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): weight has 5 elements, its shape [1, 1, 1, 3, 4] needs 12]`,
    );
    expect(() =>
      emitConv3d(b, x, { weight: w, bias: new Float32Array(3) }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): bias must be a Float32Array of length 4 (one per channel), got length 3]`,
    );
    expect(() => emitConv3d(b, x, { weight: w, stride: 0 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): stride must be a positive integer or [d, h, w] of them, got 0]`,
    );
    expect(() =>
      emitConv3d(b, x, { weight: randomFilter([3, 3, 3, 1, 4], 0), groups: 3 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): groups must be a positive integer dividing cOut=4, got 3]`,
    );
    expect(() =>
      emitConv3d(b, x, { weight: w, padding: 'full' as never }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): padding must be 'same', 'valid', an integer ≥ 0, [d, h, w] or { begin, end }, got "full"]`,
    );
  });

  it('names the problem: input too small for a valid kernel, unknown input, transposed filter channels', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 2, 6, 7] });
    expect(() =>
      emitConv3d(b, x, { weight: randomFilter([3, 3, 3, 3, 4], 0), padding: 'valid', name: 'enc0/conv' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(enc0/conv): input too small for the kernel: padded d size 2 < kernel extent 3 (input [N, 3, 2, 6, 7])]`,
    );
    expect(() =>
      emitConv3d(b, 'nope', { weight: randomFilter([3, 3, 3, 3, 4], 0) }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3d(conv3d): input "nope" is not defined in the graph, expected a graph input or an earlier emitter's output]`,
    );
    expect(() =>
      emitConv3dTranspose(b, x, { weight: randomFilter([2, 2, 2, 3, 8], 0), stride: 2 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitConv3dTranspose(conv3dTranspose): weight [2, 2, 2, 3, 8] expects 8 input channels, input "x" has 3]`,
    );
    expect(() =>
      emitDepthwiseConv3d(b, x, { weight: randomFilter([3, 3, 3, 4, 1], 0) }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitDepthwiseConv3d(depthwiseConv3d): weight [3, 3, 3, 4, 1] is for 4 channels, input "x" has 3]`,
    );
  });
});
