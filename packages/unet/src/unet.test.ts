import { loadWeights, saveWeights } from '@voxnas/ops/node';
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks, runPythonReference, withTempDir } from '@voxnas/testing';
import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TORCH_UNET_DEF } from '../test/torch-unet.js';
import { UNET_PRESETS, UNet, type UNetOptions } from './unet.js';

function randomInput(shape: [number, number, number, number, number], seed: number): tf.Tensor5D {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape) as tf.Tensor5D;
}

/** The same U-Net written with torch.nn.functional (NCDHW, float64), fed our weights. */
const TORCH_UNET = `${TORCH_UNET_DEF}
import json, sys
out = []
for d in json.load(sys.stdin):
  c = d['config']
  W = {k: torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape']) for k, v in d['weights'].items()}
  x = torch.tensor(d['x'], dtype=torch.float64).reshape(d['shape']).permute(0, 4, 1, 2, 3)
  out.append(unet(x).permute(0, 2, 3, 4, 1).reshape(-1).tolist())
print(json.dumps(out))
`;

describe('UNet', () => {
  const configs: Array<Omit<UNetOptions, 'rng'> & { shape: [number, number, number, number, number] }> = [
    { levels: 3, baseChannels: 4, norm: 'instance', upsampling: 'transposed', shape: [1, 4, 8, 12, 1] },
    { levels: 2, baseChannels: 4, norm: 'group', groups: 2, upsampling: 'trilinear', convsPerLevel: 1, shape: [1, 6, 4, 10, 2], inputChannels: 2 },
    { levels: 3, baseChannels: 2, norm: 'none', upsampling: 'trilinear', classes: 3, shape: [1, 8, 4, 4, 1] },
    { levels: 2, baseChannels: 2, norm: 'batch', upsampling: 'transposed', convsPerLevel: 3, shape: [2, 4, 6, 2, 1] },
  ];
  // Our forward passes are computed up front, then one Python process (torch imports slowly) checks all.
  const cases: Array<{ y: number[]; shape: number[]; outShape: number[]; classes: number }> = [];
  let refs: number[][] = [];
  beforeAll(() => {
    const inputs = configs.map(({ shape, ...options }) =>
      tf.tidy(() => {
        const net = new UNet({ ...options, rng: new Rng(3) });
        // a non-zero bias/affine so they are exercised
        for (const { path, variable } of net.namedVariables()) {
          if (/(bias|beta)$/.test(path)) variable.assign(tf.fill(variable.shape, 0.1));
          if (/gamma$/.test(path)) variable.assign(tf.fill(variable.shape, 1.3));
        }
        const x = randomInput(shape, 1);
        const y = net.apply(x);
        cases.push({ y: Array.from(y.dataSync()), shape, outShape: y.shape, classes: net.config.classes });
        const weights = Object.fromEntries(
          net.namedVariables().filter((v) => v.trainable).map((v) => [v.path, { shape: v.variable.shape, data: Array.from(v.variable.dataSync()) }]),
        );
        const input = { config: net.config, weights, x: Array.from(x.dataSync()), shape };
        net.dispose();
        return input;
      }),
    );
    refs = runPythonReference<number[][]>(TORCH_UNET, inputs);
  });
  it.each(configs.map((c, i) => ({ ...c, i })))('matches torch.nn.functional: levels=$levels norm=$norm up=$upsampling input $shape', ({ i }) => {
    const { y, shape, outShape, classes } = cases[i]!;
    expect(outShape).toEqual([...shape.slice(0, 4), classes]);
    expectClose(y, refs[i]!, { atol: 2e-4, rtol: 1e-3 });
  });

  it('overfits a sphere to Dice > 0.95 with a stable tensor count', async () => {
    await expectNoLeaks(async () => {
      const net = new UNet({ rng: new Rng(2), levels: 2, baseChannels: 4, convsPerLevel: 1 });
      const n = 12;
      const img = new Float32Array(n * n * n);
      const mask = new Uint8Array(n * n * n);
      let i = 0;
      for (let z = 0; z < n; z++)
        for (let y = 0; y < n; y++)
          for (let x = 0; x < n; x++, i++) {
            mask[i] = Math.hypot(z - 5.5, y - 5.5, x - 5.5) <= 3.75 ? 1 : 0;
            img[i] = mask[i]! - 0.5 + 0.1 * Math.sin(0.7 * x + 0.3 * y);
          }
      const image = tf.tensor(img, [1, n, n, n, 1]) as tf.Tensor5D;
      const labels = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(mask, 'int32'), 2), [1, n, n, n, 2])) as tf.Tensor5D;
      const opt = tf.train.adam(0.01);
      const loss = () => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(net.apply(image))), -1))) as tf.Scalar;
      const counts: number[] = [];
      let dice = 0;
      for (let step = 0; step < 80 && dice <= 0.95; step++) {
        await new Promise((r) => setImmediate(r)); // let the test runner's RPC through between steps
        opt.minimize(loss, false, net.trainableVariables());
        counts.push(tf.memory().numTensors);
        if (step % 5 === 4) {
          const pred = tf.tidy(() => tf.argMax(net.apply(image), -1).dataSync());
          let inter = 0;
          let sum = 0;
          for (let j = 0; j < mask.length; j++) {
            inter += pred[j] === 1 && mask[j] === 1 ? 1 : 0;
            sum += (pred[j] === 1 ? 1 : 0) + mask[j]!;
          }
          dice = (2 * inter) / sum;
        }
      }
      expect(dice).toBeGreaterThan(0.95);
      expect(new Set(counts.slice(1)).size).toBe(1);
      opt.dispose();
      tf.dispose([image, labels]);
      net.dispose();
    });
  });

  it('deep supervision: logits at full, 1/2 and 1/4 resolution', async () => {
    await expectNoLeaks(() => {
      const net = new UNet({ rng: new Rng(1), levels: 4, baseChannels: 2, deepSupervision: true, classes: 3 });
      const x = randomInput([1, 8, 16, 24, 1], 2);
      const outs = net.applyDeepSupervision(x);
      expect(outs.map((o) => o.shape)).toEqual([
        [1, 8, 16, 24, 3],
        [1, 4, 8, 12, 3],
        [1, 2, 4, 6, 3],
      ]);
      const main = net.apply(x);
      expect(Array.from(main.dataSync())).toEqual(Array.from(outs[0]!.dataSync()));
      tf.dispose([x, main, ...outs]);
      net.dispose();
    });
  });

  it('save/load round trip and presets', async () => {
    await expectNoLeaks(async () => {
      const a = new UNet({ rng: new Rng(1), levels: 2, baseChannels: 2, norm: 'batch' });
      const b = new UNet({ rng: new Rng(2), levels: 2, baseChannels: 2, norm: 'batch' });
      await withTempDir(async (dir) => {
        await saveWeights(a, dir);
        await loadWeights(b, dir);
      });
      for (const [i, v] of a.namedVariables().entries()) expect(Array.from(b.namedVariables()[i]!.variable.dataSync())).toEqual(Array.from(v.variable.dataSync()));
      a.dispose();
      b.dispose();
    });
    const matched = new UNet({ ...UNET_PRESETS.matched, rng: new Rng(1) });
    expect(matched.parameterCount()).toBe(5_600_930);
    expect(matched.config).toMatchObject({ levels: 4, baseChannels: 32, norm: 'instance' });
    matched.dispose();
  });

  it('typed errors for options and inputs', async () => {
    expect(() => new UNet({ rng: new Rng(1), levels: 1 })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: UNet: levels is 1, expected an integer in [2, 7]]`);
    expect(() => new UNet({ rng: new Rng(1), norm: 'layer' as never })).toThrow(InvalidArgumentError);
    expect(() => new UNet({ rng: new Rng(1), norm: 'group', groups: 3 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: UNet: groups 3 does not divide baseChannels 16 (norm 'group')]`,
    );
    const net = new UNet({ rng: new Rng(1), levels: 3, baseChannels: 2 });
    await expectNoLeaks(() => {
      const x = tf.zeros([1, 8, 6, 8, 1]) as tf.Tensor5D;
      expect(() => net.apply(x)).toThrow(ShapeMismatchError);
      expect(() => net.apply(x)).toThrowErrorMatchingInlineSnapshot(
        `[ShapeMismatchError: UNet.apply: spatial size [8, 6, 8] (z, y, x) must be multiples of 4 = 2^(levels−1), expected e.g. [8, 8, 8] (pad or crop the input)]`,
      );
      const y = tf.zeros([1, 8, 8, 8, 2]) as tf.Tensor5D;
      expect(() => net.apply(y)).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: UNet.apply: input has shape [1, 8, 8, 8, 2], expected NDHWC [n, z, y, x, 1]]`);
      tf.dispose([x, y]);
    });
    net.dispose();
  });
});
