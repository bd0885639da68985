import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { ReLU } from '../modules/activation.js';
import { Conv3d } from '../modules/conv3d.js';
import { InstanceNorm3d } from '../modules/norm.js';
import { Sequential } from '../modules/sequential.js';
import type { Module } from '../module.js';
import { convCost, instanceNormCost, reluCost, strided, sumCosts } from './cost.js';
import type { CostContext, OperatorCost } from '../operator-spec.js';

/** One convolution of a ReLU → conv… → InstanceNorm block: kernel/dilation [z, y, x]; stride per axis is 1 or the edge stride. */
export interface ConvStep {
  readonly kernel: readonly [number, number, number];
  readonly dilation?: number;
  /** Which axes [z, y, x] use the edge stride. */
  readonly strideAxes: readonly [boolean, boolean, boolean];
}

/** Builds ReLU → conv steps (the first maps cIn → cOut) → InstanceNorm. */
export function buildConvBlock(
  steps: readonly ConvStep[],
  ctx: { channelsIn: number; channelsOut: number; stride: number; rng: Rng },
): Module<tf.Tensor5D, tf.Tensor5D> {
  const layers: Record<string, Module<tf.Tensor5D, tf.Tensor5D>> = { relu: new ReLU() };
  steps.forEach((step, i) => {
    const name = steps.length === 1 ? 'conv' : `conv${i + 1}`;
    layers[name] = new Conv3d({
      channelsIn: i === 0 ? ctx.channelsIn : ctx.channelsOut,
      channelsOut: ctx.channelsOut,
      kernel: step.kernel,
      stride: step.strideAxes.map((on) => (on ? ctx.stride : 1)) as [number, number, number],
      dilation: step.dilation ?? 1,
      rng: ctx.rng.fork(name),
    });
  });
  layers.norm = new InstanceNorm3d({ channels: ctx.channelsOut });
  return new Sequential(layers);
}

/** Cost of `buildConvBlock(steps, ctx)` on `ctx.inputShape`. */
export function convBlockCost(steps: readonly ConvStep[], ctx: CostContext): OperatorCost {
  const parts: OperatorCost[] = [reluCost(ctx.inputShape)];
  let shape = ctx.inputShape;
  let cIn = ctx.channelsIn;
  for (const step of steps) {
    const out = strided(shape, step.strideAxes.map((on) => (on ? ctx.stride : 1)) as [number, number, number], ctx.channelsOut);
    parts.push(convCost(out, step.kernel[0] * step.kernel[1] * step.kernel[2], cIn));
    shape = out;
    cIn = ctx.channelsOut;
  }
  parts.push(instanceNormCost(shape));
  return sumCosts(...parts);
}
