// Fixed (non-searched) building blocks of the macro network, written as unregistered operator specs
// so `buildOperator` builds them and `operatorCost` costs them like any searched operator.
import type * as tf from '@tensorflow/tfjs-core';
import { Conv3d, defineOperator, InstanceNorm3d, ReLU, Sequential, type Module, type OperatorCost, type Shape5 } from '@voxnas/ops';

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function strided(shape: Shape5, stride: number, channels: number): Shape5 {
  const f = (n: number) => Math.ceil(n / stride);
  return [shape[0], f(shape[1]), f(shape[2]), f(shape[3]), channels];
}

function sum(...costs: OperatorCost[]): OperatorCost {
  return costs.reduce(
    (a, b) => ({ params: a.params + b.params, flops: a.flops + b.flops, activationBytes: a.activationBytes + b.activationBytes }),
    { params: 0, flops: 0, activationBytes: 0 },
  );
}

const relu = (s: Shape5): OperatorCost => ({ params: 0, flops: elements(s), activationBytes: 4 * elements(s) });
const norm = (s: Shape5): OperatorCost => ({ params: 0, flops: 5 * elements(s), activationBytes: 4 * elements(s) });
function conv(out: Shape5, taps: number, cIn: number, bias: boolean): OperatorCost {
  const e = elements(out);
  return {
    params: taps * cIn * out[4] + (bias ? out[4] : 0),
    flops: 2 * e * taps * cIn + (bias ? e : 0),
    activationBytes: 4 * e * (bias ? 2 : 1),
  };
}

/** Pre-processing of a cell input at the cell's resolution: ReLU → conv 1×1×1 → InstanceNorm. */
export const preprocessSpec = defineOperator({
  name: 'voxnas-preprocess',
  summary: 'ReLU → conv 1×1×1 → InstanceNorm (cell input pre-processing)',
  strides: [1],
  build: ({ channelsIn, channelsOut, rng }) =>
    new Sequential({
      relu: new ReLU(),
      conv: new Conv3d({ channelsIn, channelsOut, kernel: 1, rng: rng.fork('conv') }),
      norm: new InstanceNorm3d({ channels: channelsOut }),
    }),
  cost: ({ inputShape, channelsIn, channelsOut }) => {
    const out = strided(inputShape, 1, channelsOut);
    return sum(relu(inputShape), conv(out, 1, channelsIn, false), norm(out));
  },
});

/** The stem: conv 3×3×3 → InstanceNorm (no ReLU on the raw image). */
export const stemSpec = defineOperator({
  name: 'voxnas-stem',
  summary: 'conv 3×3×3 → InstanceNorm (stem)',
  strides: [1],
  minInputSize: [2, 2, 2],
  build: ({ channelsIn, channelsOut, rng }) =>
    new Sequential({
      conv: new Conv3d({ channelsIn, channelsOut, kernel: 3, rng: rng.fork('conv') }),
      norm: new InstanceNorm3d({ channels: channelsOut }),
    }),
  cost: ({ inputShape, channelsIn, channelsOut }) => {
    const out = strided(inputShape, 1, channelsOut);
    return sum(conv(out, 27, channelsIn, false), norm(out));
  },
});

/** A cell's output: 1×1×1 convolution (with bias) of the concatenated nodes. */
export const projectSpec = defineOperator({
  name: 'voxnas-project',
  summary: 'conv 1×1×1 + bias (cell output projection)',
  strides: [1],
  build: ({ channelsIn, channelsOut, rng }) => new Conv3d({ channelsIn, channelsOut, kernel: 1, bias: true, rng: rng.fork('conv') }),
  cost: ({ inputShape, channelsIn, channelsOut }) => conv(strided(inputShape, 1, channelsOut), 1, channelsIn, true),
});

/** The segmentation head: ReLU → conv 1×1×1 + bias to class logits. */
export const headSpec = defineOperator({
  name: 'voxnas-head',
  summary: 'ReLU → conv 1×1×1 + bias (head)',
  strides: [1],
  build: ({ channelsIn, channelsOut, rng }): Module<tf.Tensor5D, tf.Tensor5D> =>
    new Sequential({
      relu: new ReLU(),
      conv: new Conv3d({ channelsIn, channelsOut, kernel: 1, bias: true, rng: rng.fork('conv') }),
    }),
  cost: ({ inputShape, channelsIn, channelsOut }) => sum(relu(inputShape), conv(strided(inputShape, 1, channelsOut), 1, channelsIn, true)),
});
