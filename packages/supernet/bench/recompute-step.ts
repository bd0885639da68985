/**
 * One measurement of the recomputation rows of memory.bench.ts, in a process of its own (so its peak
 * resident size is its own): builds one network, runs one `tf.profile`d training step (forward +
 * backward, gradients of every trained variable; optimiser state excluded) and REPS timed steps, and
 * prints one JSON line: the step's peak tensor bytes, the estimator's bytes for the same step, the
 * process's peak resident size and the median ms per step.
 *
 * Argument: a JSON object { kind: 'search' | 'child' | 'unet', shape: [n, z, y, x, 1], levels, channels,
 * recompute: boolean, reps }. The search step runs Gumbel k=1 at the estimate's worst draw (fixed paths),
 * the child is the heaviest child of the default space.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@voxnas/core';
import { currentBackend, initBackend, type Network } from '@voxnas/ops';
import { medianMs } from '@voxnas/testing';
import { estimateUNetStepMemory, UNet } from '@voxnas/unet';
import { buildChild, createSearchSpace, estimateChildStepMemory, estimateSearchStepMemory, heaviestChild, Supernet, type Sampler } from '../src/index.js';

interface Job {
  readonly kind: 'search' | 'child' | 'unet';
  readonly shape: [number, number, number, number, number];
  readonly levels: number;
  readonly channels: number;
  /** true: per cell (per level for the U-Net); 'edge': per cell with a segment per edge operator inside. */
  readonly recompute: boolean | 'edge';
  readonly reps: number;
}
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
await initBackend({ logger: () => {} });
const kernels = currentBackend()?.native ? 'native' : 'js';
const space = createSearchSpace({ levels: job.levels, baseChannels: job.channels });
const shape = job.shape;
const cellMode = job.recompute === 'edge' ? 'edge' : job.recompute ? 'cell' : 'none';

let net: Network;
let vars: tf.Variable[];
let estimate: number;
if (job.kind === 'search') {
  const e = estimateSearchStepMemory(space, { inputShape: shape, optimizer: 'none', kernels, recompute: cellMode });
  const labels = [...new Set(space.edges.map((x) => x.label))];
  let i = 0;
  const fixed: Sampler = (logits) => {
    const a = e.active[labels[i++ % labels.length]!]!;
    const w = new Float32Array(logits.size);
    for (const j of a) w[j] = 1 / a.length;
    return { weights: tf.add(tf.mul(logits, 0), tf.tensor1d(w)) as tf.Tensor1D, active: a };
  };
  const s = new Supernet(space, { rng: new Rng(7), sampler: fixed, recompute: cellMode });
  [net, vars, estimate] = [s, [...s.weightVariables(), ...s.archVariables()], e.totalBytes];
} else if (job.kind === 'child') {
  const g = heaviestChild(space, shape);
  const c = buildChild(space, g, { rng: new Rng(7), recompute: cellMode });
  [net, vars] = [c, c.trainableVariables()];
  estimate = estimateChildStepMemory(g, { inputShape: shape, optimizer: 'none', kernels, recompute: cellMode }).totalBytes;
} else {
  const config = { levels: job.levels, baseChannels: job.channels };
  const u = new UNet({ ...config, rng: new Rng(7), recompute: job.recompute ? 'level' : 'none' });
  [net, vars] = [u, u.trainableVariables()];
  estimate = estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none', kernels, recompute: job.recompute ? 'level' : 'none' }).totalBytes;
}
const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor5D;
const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, 2, 'int32', 2), 2));
const step = () => {
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, vars);
  tf.dispose([value, ...Object.values(grads)]);
};
const peakBytes = (await tf.profile(step)).peakBytes;
const ms = medianMs(step, job.reps, 0);
tf.dispose([x, y]);
net.dispose();
console.log(JSON.stringify({ kernels, peakBytes, estimateBytes: estimate, maxRssBytes: process.resourceUsage().maxRSS * 1024, ms }));
