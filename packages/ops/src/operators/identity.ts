import * as tf from '@tensorflow/tfjs-core';
import { convCost, elements, instanceNormCost, strided, sumCosts, upsampleCost } from '../internal/cost.js';
import { Module } from '../module.js';
import type { OnnxEmitContext } from '../onnx-hook.js';
import { FactorizedReduce, Upsample3d } from '../modules/resample.js';
import { defineOperator } from '../operator-spec.js';

class Identity extends Module<tf.Tensor5D, tf.Tensor5D> {
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return tf.clone(x);
  }
  /** The input itself (see `OnnxEmittable`). */
  emitOnnx(_ctx: OnnxEmitContext, x: string): string {
    return x;
  }
}

/**
 * `identity`: the input itself at stride 1 (needs channelsIn = channelsOut); at stride 2 a factorised
 * reduce (ReLU → two shifted 1×1×1 stride-2 convs → concat → InstanceNorm), which may change channels;
 * on expansion edges trilinear ×2 upsampling (channelsIn = channelsOut).
 */
export const identity = defineOperator({
  name: 'identity',
  summary: 'identity (stride 2: factorised reduce; expansion: trilinear ×2)',
  upsample: 'native',
  sameChannels: 'stride-1',
  build: ({ channelsIn, channelsOut, stride, rng, options }) => {
    if (stride === 2) return new FactorizedReduce({ channelsIn, channelsOut, rng });
    return options.upsample === 2 ? new Upsample3d({ scale: 2, mode: 'trilinear' }) : new Identity();
  },
  cost: ({ inputShape, channelsIn, channelsOut, stride, options }) => {
    if (stride === 2) {
      const out = strided(inputShape, [2, 2, 2], channelsOut);
      const half = Math.floor(channelsOut / 2);
      const inE = elements(inputShape);
      return sumCosts(
        { params: 0, flops: inE, activationBytes: 8 * inE }, // ReLU + shifted copy
        convCost(strided(inputShape, [2, 2, 2], half), 1, channelsIn),
        convCost(strided(inputShape, [2, 2, 2], channelsOut - half), 1, channelsIn),
        instanceNormCost(out),
      );
    }
    if (options.upsample === 2) return upsampleCost(inputShape);
    return { params: 0, flops: 0, activationBytes: 0 };
  },
});
