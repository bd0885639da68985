import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { expectNoLeaks } from '@voxnas/testing';
import { Conv3d } from './modules/conv3d.js';
import { InstanceNorm3d } from './modules/norm.js';
import { variableGrads } from './lean-gradients.js';
import { recompute } from './recompute.js';

/**
 * A small network that exercises what the early release must get right: a saved-tensor kernel chain
 * (conv → instance norm → ReLU), a multi-output op with an unused output (split; tfjs zero-fills its
 * gradient), fan-out (the skip is read twice, so its gradients are added), a variable read twice, a
 * pass-through gradient (clone), broadcasting (a bias), and a recomputation segment.
 */
let built = 0;
function build(seed: number): { loss: (x: tf.Tensor5D) => tf.Scalar; vars: tf.Variable[] } {
  const rng = new Rng(seed);
  const conv1 = new Conv3d({ channelsIn: 1, channelsOut: 4, kernel: 3, rng: rng.fork('c1') });
  const norm = new InstanceNorm3d({ channels: 4, affine: true });
  const conv2 = new Conv3d({ channelsIn: 4, channelsOut: 4, kernel: 3, bias: true, rng: rng.fork('c2') });
  const scale = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1, 2, 1.5]), true, `lean-scale-${built++}`));
  const vars = [...conv1.trainableVariables(), ...norm.trainableVariables(), ...conv2.trainableVariables(), scale];
  const loss = (x: tf.Tensor5D): tf.Scalar => {
    const h = tf.relu(norm.forward(conv1.forward(x)));
    const kept = tf.split(h, [2, 2], -1)[0]!; // the second part is unused
    const skip = tf.mul(h, scale); // the variable, first read
    const seg = recompute((t) => conv2.forward(t as tf.Tensor5D), { inputs: [skip], variables: conv2.trainableVariables() });
    const joined = tf.concat([tf.add(seg, skip), tf.clone(skip)], -1); // skip read twice more
    const head = tf.mul(tf.sum(kept, -1, true), tf.sum(scale)); // the variable, second read
    return tf.mean(tf.square(tf.sub(tf.add(tf.sum(joined, -1, true), head), 0.25)));
  };
  return { loss, vars };
}

describe('variableGrads (early release)', () => {
  it('gives the loss and gradients of tf.variableGrads bit for bit, and leaks nothing', async () => {
    await expectNoLeaks(() => {
      const a = build(3);
      const b = build(3);
      const x = tf.randomNormal([2, 6, 5, 7, 1], 0, 1, 'float32', 4) as tf.Tensor5D;
      const stock = tf.variableGrads(() => a.loss(x), a.vars);
      const lean = variableGrads(() => b.loss(x), b.vars);
      expect(Array.from(lean.value.dataSync())).toEqual(Array.from(stock.value.dataSync()));
      expect(Object.keys(lean.grads)).toHaveLength(a.vars.length);
      a.vars.forEach((v, i) => expect(Array.from(lean.grads[b.vars[i]!.name]!.dataSync())).toEqual(Array.from(stock.grads[v.name]!.dataSync())));
      tf.dispose([x, stock.value, lean.value, ...Object.values(stock.grads), ...Object.values(lean.grads), ...a.vars, ...b.vars]);
    });
  });

  it('lowers the peak: a chain of operations no longer holds every saved tensor and every gradient at once', async () => {
    const w = tf.variable(tf.scalar(0.9), true, 'lean-chain-w');
    const x = tf.randomNormal([1, 16, 32, 32, 4], 0, 1, 'float32', 5);
    const chain = (): tf.Scalar => {
      let h: tf.Tensor = x;
      // a tidy per layer, as modules run: the forward pass holds only what the backward pass saved
      for (let i = 0; i < 12; i++) h = tf.tidy(() => tf.relu(tf.mul(tf.add(h, 0.1), w)));
      return tf.mean(h);
    };
    const peak = async (grads: typeof variableGrads): Promise<number> =>
      (
        await tf.profile(() => {
          const r = grads(chain, [w]);
          tf.dispose([r.value, ...Object.values(r.grads)]);
        })
      ).peakBytes;
    const stockPeak = await peak(tf.variableGrads);
    const leanPeak = await peak(variableGrads);
    const before = tf.memory().numTensors;
    const g1 = tf.variableGrads(chain, [w]);
    const g2 = variableGrads(chain, [w]);
    expect(g2.grads[w.name]!.dataSync()[0]).toBe(g1.grads[w.name]!.dataSync()[0]);
    tf.dispose([g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    // 12 × (add, mul, relu) on 256 KiB tensors: tfjs holds the saved tensors and all 36 output
    // gradients until the end; released as it goes, the backward pass holds little more than the
    // forward pass did.
    expect(leanPeak).toBeLessThan(0.8 * stockPeak);
    tf.dispose([w, x]);
  });

  it('leaves a tape with a gradient inside the forward pass (higher order) whole: same gradients, same tensors left', () => {
    const w = tf.variable(tf.tensor1d([0.3, -0.7, 1.1]), true, 'lean-hess-w');
    const x = tf.tensor1d([1, 2, -1]);
    // A gradient penalty: d/dw of |d/dx sum((w x)^3)|²
    const f = (): tf.Scalar => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.pow(tf.mul(w, t), 3)))(x);
      return tf.sum(tf.square(g));
    };
    const run = (grads: typeof variableGrads): { values: number[]; left: number } => {
      const before = tf.memory().numTensors;
      const r = grads(f, [w]);
      const values = Array.from(r.grads[w.name]!.dataSync());
      tf.dispose([r.value, ...Object.values(r.grads)]);
      return { values, left: tf.memory().numTensors - before };
    };
    const stock = run(tf.variableGrads);
    const lean = run(variableGrads);
    expect(lean.values).toEqual(stock.values);
    expect(lean.left).toBe(stock.left); // tfjs itself leaves one tensor behind here
    // analytic: g_i = 3 w_i³ x_i², loss = Σ 9 w_i⁶ x_i⁴, d/dw_i = 54 w_i⁵ x_i⁴
    const expected = [0.3, -0.7, 1.1].map((wi, i) => 54 * wi ** 5 * [1, 2, -1][i]! ** 4);
    lean.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
    tf.dispose([w, x]);
  });
});
