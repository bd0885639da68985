/**
 * One voxnas row of the U-Net memory bench (memory.bench.ts), in a process of its own so its peak
 * resident size is its own: after the imports and `initBackend` it reads the process's peak resident
 * size (the baseline), builds the U-Net, runs STEPS Adam training steps (forward, softmax
 * cross-entropy on one-hot labels, gradients of every trained variable, `tf.train.adam` update — the
 * same moments as @voxnas/train's Adam; gradients by @voxnas/ops `variableGrads` as @voxnas/train's
 * gradientStep takes them, or by `tf.variableGrads` with `tape: 'stock'`) on one random batch, each under `tf.profile`, and prints one
 * JSON line: the largest `tf.profile` peak tensor bytes of a step, the tensor bytes held before the
 * first step (weights, input, labels), the estimator's bytes (Adam included), the baseline and the final
 * peak resident size, and the parameter count.
 *
 * Argument: a JSON object { shape: [n, z, y, x, 1], config: Omit<UNetOptions, 'rng'>, recompute:
 * 'none' | 'level', steps, tape?: 'lean' | 'stock' }.
 */
import '@tensorflow/tfjs'; // gradients
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { currentBackend, initBackend, variableGrads } from '@voxnas/ops';
import { estimateUNetStepMemory, UNet, type UNetOptions } from '../src/index.js';

interface Job {
  readonly shape: [number, number, number, number, number];
  readonly config: Omit<UNetOptions, 'rng' | 'recompute'>;
  readonly recompute: 'none' | 'level';
  readonly steps: number;
  /** 'stock': tf.variableGrads (tfjs keeps the whole tape until the step ends); default 'lean': @voxnas/ops's variableGrads. */
  readonly tape?: 'stock' | 'lean';
}
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
await initBackend({ logger: () => {} });
const kernels = currentBackend()?.native ? 'native' : 'js';
const baselineRssBytes = process.resourceUsage().maxRSS * 1024;

const net = new UNet({ ...job.config, rng: new Rng(7), recompute: job.recompute });
const vars = net.trainableVariables();
const shape = job.shape;
const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor5D;
const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, 2, 'int32', 2), 2));
const optimizer = tf.train.adam(1e-3);
const heldBytes = tf.memory().numBytes;
let peakBytes = 0;
let loss = 0;
for (let s = 0; s < job.steps; s++) {
  const info = await tf.profile(() => {
    const { value, grads } = (job.tape === 'stock' ? tf.variableGrads : variableGrads)(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, vars);
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
  });
  peakBytes = Math.max(peakBytes, info.peakBytes);
}
const estimateBytes = estimateUNetStepMemory(net.config, { inputShape: shape, optimizer: 'adam', kernels, recompute: job.recompute }).totalBytes;
const params = net.parameterCount();
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ kernels, params, loss, heldBytes, peakBytes, estimateBytes, baselineRssBytes, maxRssBytes }));
