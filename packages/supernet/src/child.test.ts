import * as tf from '@tensorflow/tfjs-core';
import type { Network } from '@voxnas/ops';
import { expectNoLeaks } from '@voxnas/testing';
import { Rng, ShapeMismatchError } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { GenotypeError } from './errors.js';
import { buildChild } from './child.js';
import { deriveGenotype } from './derive-genotype.js';
import { genotypeCost } from './genotype-cost.js';
import { parseGenotype, stringifyGenotype } from './genotype.js';
import { renderGenotypeSvg } from './render-genotype.js';
import { Supernet } from './supernet.js';
import { crossEntropy, diceOf, sphereVolume } from '../test/fixtures.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { createSearchSpace } from './search-space.js';

/** Trains `net` with Adam until Dice > target or `maxSteps`; returns the steps used and the Dice. */
async function overfit(net: Network, shape: [number, number, number], maxSteps: number, lr: number) {
  const { image, labels, mask } = sphereVolume(shape, shape[0] / 3.2);
  const opt = tf.train.adam(lr);
  const counts: number[] = [];
  let dice = 0;
  let step = 0;
  for (; step < maxSteps; step++) {
    await new Promise((r) => setImmediate(r)); // let the test runner's RPC through between steps
    opt.minimize(() => crossEntropy(net.apply(image), labels), false, net.trainableVariables());
    counts.push(tf.memory().numTensors);
    if (step % 5 === 4) {
      const logits = net.apply(image);
      dice = diceOf(logits, mask);
      logits.dispose();
      if (dice > 0.95) break;
    }
  }
  opt.dispose();
  tf.dispose([image, labels]);
  return { steps: step + 1, dice, counts };
}

function randomInput(shape: [number, number, number, number, number], seed: number): tf.Tensor5D {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape) as tf.Tensor5D;
}

describe('buildChild', () => {
  it.each([
    { levels: 2, nodes: 2, cellInputs: 2, input: [1, 6, 8, 10, 1] as const },
    { levels: 3, nodes: 1, cellInputs: 1, input: [2, 12, 16, 20, 1] as const },
    { levels: 3, nodes: 3, cellInputs: 2, input: [1, 16, 12, 24, 1] as const },
  ])('levels=$levels nodes=$nodes cellInputs=$cellInputs: derived genotype → JSON → SVG → child of input shape $input', async ({ input, ...o }) => {
    await expectNoLeaks(() => {
      const space = createSearchSpace({ ...o, baseChannels: 2, classes: 3 });
      const net = new Supernet(space, { rng: new Rng(4), alphaInitStd: 1 });
      const derived = deriveGenotype(space, net.alphaValues());
      const text = stringifyGenotype(derived);
      const genotype = parseGenotype(text, { space });
      expect(genotype).toEqual(derived);
      expect(renderGenotypeSvg(genotype)).toMatch(/^<svg [^]*<\/svg>\n$/);
      const child = buildChild(space, genotype, { rng: new Rng(4) });
      const x = randomInput([...input], 1);
      const y = child.apply(x);
      expect(y.shape).toEqual([input[0], input[1], input[2], input[3], 3]);
      expect(child.parameterCount()).toBe(genotypeCost(genotype, { inputShape: [...input] }).params);
      expect(child.parameterCount()).toBeLessThan(net.weightVariables().reduce((n, v) => n + v.size, 0));
      tf.dispose([x, y]);
      child.dispose();
      net.dispose();
    });
  });

  it('genotype → child → back: an argmax genotype with inherited weights reproduces the supernet in eval mode', async () => {
    await expectNoLeaks(() => {
      const space = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 2 });
      const net = new Supernet(space, { rng: new Rng(8), alphaInitStd: 1 });
      const x = randomInput([1, 6, 8, 10, 1], 2);
      net.eval();
      const ySuper = net.apply(x);
      const genotype = deriveGenotype(space, net.alphaValues(), { topK: null });
      const child = buildChild(space, genotype, { rng: new Rng(99), inheritFrom: net });
      const yChild = child.apply(x);
      expect(Array.from(yChild.dataSync())).toEqual(Array.from(ySuper.dataSync()));
      // without inheritance, the same seed gives the supernet's initial weights on shared paths
      const fresh = buildChild(space, genotype, { rng: new Rng(8) });
      const weights = new Map(net.namedVariables().map((v) => [v.path, v.variable]));
      for (const { path, variable } of fresh.namedVariables()) {
        expect(Array.from(variable.dataSync()), path).toEqual(Array.from(weights.get(path)!.dataSync()));
      }
      tf.dispose([x, ySuper, yChild]);
      fresh.dispose();
      child.dispose();
      net.dispose();
    });
  });

  it('genotypeCost adds up the registry cost models per block', () => {
    const space = createSearchSpace({ levels: 3, baseChannels: 4 });
    const g = sampleRandomGenotype(space, new Rng(3));
    const cost = genotypeCost(g, { inputShape: [1, 16, 16, 16, 1] });
    expect(Object.keys(cost.blocks)).toEqual(['stem', 'enc0', 'red1', 'enc1', 'red2', 'inter2', 'exp1', 'dec1', 'exp0', 'dec0', 'head']);
    const sum = (k: 'params' | 'flops' | 'activationBytes') => Object.values(cost.blocks).reduce((a, b) => a + b[k], 0);
    expect(cost.params).toBe(sum('params'));
    expect(cost.flops).toBe(sum('flops'));
    expect(cost.activationBytes).toBe(sum('activationBytes'));
    // FLOPs scale with the number of voxels; parameters do not.
    const big = genotypeCost(g, { inputShape: [2, 16, 16, 32, 1] });
    expect(big.params).toBe(cost.params);
    expect(big.flops).toBe(4 * cost.flops);
    // stem: 3×3×3×1×4 weights
    expect(cost.blocks.stem!.params).toBe(27 * 4);
  });

  it('typed errors: invalid genotype, input size, inheriting from another macro', async () => {
    const space = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 1 });
    const g = sampleRandomGenotype(space, new Rng(1));
    expect(() => buildChild(space, { ...g, schema: 'x' } as never, { rng: new Rng(1) })).toThrow(GenotypeError);
    const custom = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 1, candidates: { expansion: ['zero', 'my-op'] } });
    const withCustom = { ...g, choices: { ...g.choices, 'expansion.in0->n0': 'my-op' } };
    // (the message goes on to list every registered operator, which grows with the registry)
    expect(() => buildChild(custom, withCustom, { rng: new Rng(1) })).toThrow(GenotypeError);
    expect(() => buildChild(custom, withCustom, { rng: new Rng(1) })).toThrow(
      /^buildChild: choices\["expansion\.in0->n0"\] is "my-op", expected a registered operator \(known: zero, identity, conv-3x3x3, /,
    );
    const child = buildChild(space, g, { rng: new Rng(1) });
    await expectNoLeaks(() => {
      const x = tf.zeros([1, 5, 8, 8, 1]) as tf.Tensor5D;
      expect(() => child.apply(x)).toThrow(ShapeMismatchError);
      x.dispose();
    });
    expect(() => genotypeCost(g, { inputShape: [1, 8, 8, 9, 1] })).toThrow(ShapeMismatchError);
    const other = new Supernet(createSearchSpace({ levels: 2, baseChannels: 4, nodes: 1 }), { rng: new Rng(1) });
    const before = tf.memory().numTensors;
    expect(() => buildChild(space, g, { rng: new Rng(1), inheritFrom: other })).toThrowErrorMatchingInlineSnapshot(
      `[ShapeMismatchError: buildChild: "stem/op/conv/weight" has shape [3, 3, 3, 1, 4] in the supernet, expected [3, 3, 3, 1, 2] (same baseChannels and classes)]`,
    );
    expect(tf.memory().numTensors).toBe(before);
    other.dispose();
    child.dispose();
  });

  it('a random child overfits a sphere to Dice > 0.95 with a stable tensor count', async () => {
    await expectNoLeaks(async () => {
      const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2 });
      const child = buildChild(space, sampleRandomGenotype(space, new Rng(7)), { rng: new Rng(1) });
      const t0 = Date.now();
      const { steps, dice, counts } = await overfit(child, [12, 12, 12], 80, 0.01);
      console.log(`child overfit: ${steps} steps, Dice ${dice.toFixed(3)}, ${Date.now() - t0} ms`);
      expect(dice).toBeGreaterThan(0.95);
      expect(new Set(counts.slice(1)).size).toBe(1);
      child.dispose();
    });
  });
});
