import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createSearchSpace } from './search-space.js';
import { Supernet } from './supernet.js';

const quiet = { logger: () => {} };
// What `initBackend()` picks here: cpu with @voxnas/kernels when built — always in CI.
const auto = await initBackend(quiet);
const skip = !auto.native && !process.env.CI;

describe.skipIf(skip)(`a supernet training step is the same on every CPU kernel set${skip ? ` [skipped: ${auto.notes.join('; ')}]` : ''}`, () => {
  afterAll(() => initBackend(quiet));

  it('every candidate of the default space (full sampler): loss, weight and α gradients equal tfjs-backend-cpu’s', () =>
    expectNoLeaks(async () => {
      const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, classes: 3 });
      const net = new Supernet(space, { rng: new Rng('backends'), sampler: { kind: 'full' } });
      const rng = new Rng('backends data');
      const shape: [number, number, number, number, number] = [1, 6, 8, 10, 1];
      const n = shape.slice(0, 4).reduce((a, b) => a * b, 1);
      const x = tf.tensor5d(Float32Array.from({ length: n }, () => rng.normal()), shape);
      const target = tf.tensor5d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [...shape.slice(0, 4), 3] as [number, number, number, number, number]);
      const vars = [...net.weightVariables(), ...net.archVariables()];
      const step = () => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x), target))) as tf.Scalar, vars);
        const out = { loss: value.dataSync()[0] as number, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      };
      await initBackend(quiet);
      const { kernelNames } = await tf.profile(() => void step());
      for (const k of ['Conv3D', 'VoxnasGroupNorm', 'VoxnasGroupNormGrad', 'VoxnasReluGrad']) expect(kernelNames).toContain(k);
      const fast = step();
      await initBackend({ ...quiet, backend: 'cpu' });
      const js = step();
      expect(fast.loss).toBeCloseTo(js.loss, 5);
      fast.grads.forEach((g, i) => expectClose(g, js.grads[i]!, { atol: 2e-5, rtol: 2e-3 }));
      net.dispose();
      tf.dispose([x, target]);
    }),
  );
});
