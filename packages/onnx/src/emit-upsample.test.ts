import { upsample3d } from '@voxnas/ops';
import { afterAll, describe, expect, it } from 'vitest';
import { emitUpsample3d, type EmitUpsample3dOptions } from './emit-upsample.js';
import { createGraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, reportAgreements } from '../test/ort.js';

const X: [number, number, number, number, number] = [2, 3, 5, 6, 7];

afterAll(() => reportAgreements('emit-upsample.test.ts'));

describe('emitUpsample3d vs @voxnas/ops upsample3d', () => {
  const cases: Array<{ title: string; options: EmitUpsample3dOptions }> = [
    { title: 'trilinear ×2', options: { mode: 'trilinear', scale: 2 } },
    { title: 'trilinear ×[1,2,3]', options: { mode: 'trilinear', scale: [1, 2, 3] } },
    { title: 'nearest ×2', options: { mode: 'nearest', scale: 2 } },
    { title: 'nearest ×[3,1,2]', options: { mode: 'nearest', scale: [3, 1, 2] } },
  ];
  it.each(cases)('x=[2,3,5,6,7] $title', async ({ title, options }) => {
    await compareWithVoxnas({
      title: `upsample3d ${title}`,
      input: X,
      emit: (b, x) => emitUpsample3d(b, x, options),
      reference: (x) => upsample3d(x, options),
    });
  });

  it('x=[1,2,1,2,3] trilinear ×2 with an axis of length 1', async () => {
    await compareWithVoxnas({
      title: 'upsample3d trilinear ×2, d=1',
      input: [1, 2, 1, 2, 3],
      emit: (b, x) => emitUpsample3d(b, x),
      reference: (x) => upsample3d(x),
    });
  });

  it('rejects bad options', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect(() => emitUpsample3d(b, x, { scale: 1.5 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitUpsample3d(upsample3d): scale must be a positive integer or [d, h, w] of them, got 1.5]`,
    );
    expect(() => emitUpsample3d(b, x, { mode: 'cubic' as never })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxEmitError: emitUpsample3d(upsample3d): mode must be 'trilinear' or 'nearest', got "cubic"]`,
    );
  });
});
