import { saveWeights } from '@voxnas/ops/node';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withTempDir } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv3d, buildOperator, defineOperator, getOperator, initBackend, listOperators, operatorCost, registerOperator, unregisterOperator } from './index.js';
import { testOperator } from './testing/index.js';

// The README example, verbatim apart from the assertions and the temporary directory.
const lines: string[] = [];
await initBackend({ backend: 'cpu', logger: (l) => lines.push(l) });
registerOperator(defineOperator({
  name: 'pointwise-1x1x1',
  summary: 'conv 1×1×1',
  build: ({ channelsIn, channelsOut, stride, rng }) => new Conv3d({ channelsIn, channelsOut, kernel: 1, stride, rng }),
  cost: ({ inputShape: [n, d, h, w], channelsIn, channelsOut, stride }) => {
    const out = n * Math.ceil(d / stride) * Math.ceil(h / stride) * Math.ceil(w / stride) * channelsOut;
    return { params: channelsIn * channelsOut, flops: 2 * out * channelsIn, activationBytes: 4 * out };
  },
}));

describe('README example', () => {

  it('builds, runs, costs and saves a user-registered operator', async () => {
    expect(lines).toEqual(['voxnas backend: cpu (@tensorflow/tfjs-backend-cpu) [VOXNAS_BACKEND=cpu]']);
    await withTempDir(async (dir) => {
      const op = buildOperator('pointwise-1x1x1', { channelsIn: 4, channelsOut: 8, stride: 2, rng: new Rng(42).fork('init') });
      const x = tf.zeros([1, 5, 6, 7, 4]) as tf.Tensor5D;
      const y = op.apply(x); // NDHWC → [1, 3, 3, 4, 8]
      const cost = operatorCost('pointwise-1x1x1', { inputShape: [1, 5, 6, 7, 4], channelsOut: 8, stride: 2 });
      await saveWeights(op, join(dir, 'runs/demo/op'));
      expect(y.shape).toEqual([1, 3, 3, 4, 8]);
      expect(cost).toEqual({ params: 32, flops: 2 * 36 * 8 * 4, activationBytes: 4 * 36 * 8 });
      expect(listOperators().map((s) => s.name)).toContain('pointwise-1x1x1');
      tf.dispose([x, y]);
      op.dispose();
      await rm(join(dir, 'runs'), { recursive: true });
    });
  });
});

// The user's operator passes the same contract as the built-ins.
testOperator(getOperator('pointwise-1x1x1'));

// After every suite of this file (testOperator checks the registry too).
afterAll(() => {
  unregisterOperator('pointwise-1x1x1');
});
