import { pool3d } from '@voxnas/ops';
import { afterAll, describe, expect, it } from 'vitest';
import { emitPool3d, type EmitPool3dOptions } from './emit-pool.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, reportAgreements } from '../test/ort.js';

const X: [number, number, number, number, number] = [2, 3, 5, 6, 7];

afterAll(() => reportAgreements('emit-pool.test.ts'));

describe('emitPool3d vs @voxnas/ops pool3d', () => {
  const cases: Array<{ title: string; options: EmitPool3dOptions }> = [
    { title: 'max k=3 stride=1 same', options: { kind: 'max', kernel: 3, stride: 1 } },
    { title: 'max k=3 stride=2 same', options: { kind: 'max', kernel: 3, stride: 2 } },
    { title: 'max k=2 stride=2 same (U-Net down)', options: { kind: 'max', kernel: 2, stride: 2 } },
    { title: 'avg k=3 stride=1 same (padding not counted)', options: { kind: 'avg', kernel: 3, stride: 1 } },
    { title: 'avg k=3 stride=2 same (padding not counted)', options: { kind: 'avg', kernel: 3, stride: 2 } },
    {
      title: 'avg k=[1,3,3] stride=[1,2,2] same',
      options: { kind: 'avg', kernel: [1, 3, 3], stride: [1, 2, 2] },
    },
    { title: 'max k=3 stride=2 valid', options: { kind: 'max', kernel: 3, stride: 2, padding: 'valid' } },
    { title: 'avg k=2 stride=1 valid', options: { kind: 'avg', kernel: 2, stride: 1, padding: 'valid' } },
  ];
  it.each(cases)('x=[2,3,5,6,7] $title', async ({ title, options }) => {
    await compareWithVoxnas({
      title: `pool3d ${title}`,
      input: X,
      emit: (b, x) => emitPool3d(b, x, options),
      reference: (x) => pool3d(x, options),
    });
  });

  it.each(cases.filter((c) => c.options.stride === 2))(
    'static input shape: $title',
    async ({ title, options }) => {
      await compareWithVoxnas({
        title: `pool3d static ${title}`,
        input: X,
        staticShape: true,
        emit: (b, x) => emitPool3d(b, x, options),
        reference: (x) => pool3d(x, options),
      });
    },
  );

  it('rejects bad options', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 2, 'H', 'W'] });
    expect(() => emitPool3d(b, x, { kind: 'min' as never })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitPool3d(maxPool3d): kind must be 'max' or 'avg', got "min"]`,
    );
    expect(() =>
      emitPool3d(b, x, { kind: 'max', kernel: [3, 3] as never }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitPool3d(maxPool3d): kernel must be a positive integer or [d, h, w] of them, got [3, 3]]`,
    );
    expect(() => emitPool3d(b, x, { kind: 'avg', padding: 'valid' })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitPool3d(avgPool3d): input too small for the kernel: padded d size 2 < kernel extent 3 (input [N, 3, 2, H, W])]`,
    );
  });
});
