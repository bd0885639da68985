// The README example, verbatim apart from imports and assertions, so it cannot rot.
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { expect, it } from 'vitest';
import { buildChild, createSearchSpace, renderGenotypeSvg, stringifyGenotype, Supernet, temperatureAt, validateGenotype } from './index.js';

it('README example', async () => {
  await expectNoLeaks(() => {
    const space = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 2 });
    const net = new Supernet(space, { rng: new Rng(42), sampler: { kind: 'gumbel', k: 1 } });
    const x = tf.randomNormal([1, 6, 8, 10, 1]) as tf.Tensor5D; // NDHWC, sizes: multiples of 2^(levels−1)
    const loss = () => tf.mean(tf.square(net.apply(x))) as tf.Scalar;
    const archOpt = tf.train.adam(3e-3);
    const weightOpt = tf.train.adam(1e-2);
    for (let step = 0; step < 2; step++) {
      net.setTemperature(temperatureAt({ kind: 'exponential', from: 5, to: 0.5, steps: 100 }, step));
      archOpt.minimize(loss, false, net.archVariables()); // α on a validation batch
      weightOpt.minimize(loss, false, net.weightVariables()); // weights on a training batch
    }
    const genotype = net.deriveGenotype({ topK: 2 }); // JSON: { schema: 'voxnas/genotype@1', macro, choices }
    const json = stringifyGenotype(genotype);
    const svg = renderGenotypeSvg(genotype);
    const child = buildChild(space, genotype, { rng: new Rng(1), inheritFrom: net });
    const logits = child.apply(x); // [1, 6, 8, 10, 2]

    expect(logits.shape).toEqual([1, 6, 8, 10, 2]);
    expect(validateGenotype(JSON.parse(json), { space })).toEqual(genotype);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(net.tau).toBeCloseTo(5 * 0.1 ** (1 / 100), 10);
    tf.dispose([x, logits]);
    archOpt.dispose();
    weightOpt.dispose();
    child.dispose();
    net.dispose();
  });
});
