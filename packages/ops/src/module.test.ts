import { loadWeights, saveWeights } from '@voxnas/ops/node';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from './errors.js';
import { constantInit, heNormal } from './init.js';
import { Module } from './module.js';
import { ReLU } from './modules/activation.js';
import { Conv3d } from './modules/conv3d.js';
import { BatchNorm3d, InstanceNorm3d } from './modules/norm.js';
import { Sequential } from './modules/sequential.js';

class Block extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly body: Sequential;
  readonly bn: BatchNorm3d;
  readonly scale: tf.Variable;
  constructor(rng: Rng) {
    super();
    this.body = this.addModule(
      'body',
      new Sequential({
        conv: new Conv3d({ channelsIn: 2, channelsOut: 3, kernel: 3, rng: rng.fork('conv') }),
        relu: new ReLU(),
        norm: new InstanceNorm3d({ channels: 3, affine: true }),
      }),
    );
    this.bn = this.addModule('bn', new BatchNorm3d({ channels: 3 }));
    this.scale = this.addParameter('scale', { shape: [1], init: constantInit(0.5) });
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return tf.mul(this.bn.forward(this.body.forward(x)), this.scale);
  }
}

describe('Module', () => {
  it('names variables by path, separates buffers and counts parameters', async () => {
    await expectNoLeaks(() => {
      const m = new Block(new Rng(1));
      expect(m.namedVariables().map((v) => `${v.path}${v.trainable ? '' : ' (buffer)'} [${v.variable.shape.join(',')}]`)).toMatchInlineSnapshot(`
        [
          "scale [1]",
          "body/conv/weight [3,3,3,2,3]",
          "body/norm/gamma [3]",
          "body/norm/beta [3]",
          "bn/gamma [3]",
          "bn/beta [3]",
          "bn/runningMean (buffer) [3]",
          "bn/runningVar (buffer) [3]",
        ]
      `);
      expect(m.parameterCount()).toBe(3 * 3 * 3 * 2 * 3 + 3 + 3 + 3 + 3 + 1);
      expect(m.trainableVariables()).toHaveLength(6);
      m.dispose();
    });
  });

  it('initialises deterministically from the Rng (He normal computed in JS)', async () => {
    await expectNoLeaks(() => {
      const a = new Block(new Rng(5));
      const b = new Block(new Rng(5));
      const c = new Block(new Rng(6));
      const w = (m: Block) => Array.from(m.namedVariables().find((v) => v.path === 'body/conv/weight')!.variable.dataSync());
      expect(w(a)).toEqual(w(b));
      expect(w(a)).not.toEqual(w(c));
      const expected = heNormal({ size: 54 * 3 / 3, fanIn: 54, fanOut: 81, rng: new Rng(5).fork('conv') });
      expect(w(a).slice(0, 54)).toEqual(Array.from(expected));
      // std ≈ √(2 / fanIn) on a larger draw
      const big = heNormal({ size: 20000, fanIn: 50, fanOut: 50, rng: new Rng(9) });
      const std = Math.sqrt(big.reduce((s, v) => s + v * v, 0) / big.length);
      expect(Math.abs(std - Math.sqrt(2 / 50))).toBeLessThan(0.01);
      for (const m of [a, b, c]) m.dispose();
    });
  });

  it('switches train/eval recursively; BatchNorm uses batch statistics in training and running ones in eval', async () => {
    await expectNoLeaks(() => {
      const bn = new BatchNorm3d({ channels: 2, momentum: 0.5 });
      const x = tf.tensor5d(Float32Array.from({ length: 3 * 4 * 5 * 2 }, (_, i) => (i % 2 === 0 ? i / 10 : -i / 20)), [1, 3, 4, 5, 2]);
      const y = bn.apply(x);
      const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
      const n = 60;
      const m = Array.from(mean.dataSync());
      const v = Array.from(variance.dataSync()).map((s) => (s * n) / (n - 1));
      expect(Array.from(bn.runningMean.dataSync()).map((a) => +a.toFixed(5))).toEqual(m.map((a) => +(0.5 * a).toFixed(5)));
      expect(Array.from(bn.runningVar.dataSync()).map((a) => +a.toFixed(4))).toEqual(v.map((a) => +(0.5 + 0.5 * a).toFixed(4)));
      const yMean = tf.tidy(() => tf.moments(y, [0, 1, 2, 3]).mean);
      expect(Math.max(...Array.from(yMean.dataSync()).map(Math.abs))).toBeLessThan(1e-5);
      const block = new Sequential({ bn });
      block.eval();
      expect(bn.training).toBe(false);
      const ye = block.apply(x);
      const expected = tf.tidy(() => tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5))));
      expect(Array.from(ye.dataSync()).map((a) => +a.toFixed(4))).toEqual(Array.from(expected.dataSync()).map((a) => +a.toFixed(4)));
      tf.dispose([x, y, mean, variance, yMean, ye, expected]);
      block.dispose();
    });
  });

  it('rejects duplicate and malformed names', () => {
    class Bad extends Module {
      constructor(name: string, twice: boolean) {
        super();
        this.addParameter(name, { shape: [1], init: constantInit(0) });
        if (twice) this.addParameter(name, { shape: [1], init: constantInit(0) });
      }
      forward(x: tf.Tensor): tf.Tensor {
        return x;
      }
    }
    expect(() => new Bad('w', true)).toThrow(InvalidArgumentError);
    expect(() => new Bad('w', true)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: Module: name "w" is already used in this module]`);
    expect(() => new Bad('a/b', false)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: Module: parameter/module name must match [A-Za-z0-9_.-]+, got "a/b"]`);
  });
});

describe('saveWeights / loadWeights', () => {
  it('round-trips bit-exactly through model.json + weights.bin, leaving no temporary files', async () => {
    await withTempDir(async (dir) => {
      const a = new Block(new Rng(1));
      const x = tf.randomNormal([1, 5, 6, 7, 2], 0, 1, 'float32', 3) as tf.Tensor5D;
      tf.dispose(a.apply(x)); // updates BatchNorm running statistics (buffers are saved too)
      await saveWeights(a, join(dir, 'model'));
      expect((await readdir(join(dir, 'model'))).sort()).toEqual(['model.json', 'weights.bin']);
      const manifest = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8'));
      expect(manifest.format).toBe('voxnas-weights@1');
      expect(manifest.weightsManifest[0].paths).toEqual(['weights.bin']);
      const b = new Block(new Rng(2));
      await loadWeights(b, join(dir, 'model'));
      const va = a.namedVariables();
      const vb = b.namedVariables();
      va.forEach((v, i) => expect(Array.from(vb[i]!.variable.dataSync())).toEqual(Array.from(v.variable.dataSync())));
      a.eval();
      b.eval();
      const ya = a.apply(x);
      const yb = b.apply(x);
      expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
      // tf.io reads the manifest as a browser would.
      const bin = await readFile(join(dir, 'model', 'weights.bin'));
      const map = tf.io.decodeWeights(new Uint8Array(bin).buffer, manifest.weightsManifest[0].weights);
      expect(Array.from(map['body/conv/weight']!.dataSync())).toEqual(Array.from(a.body.namedVariables()[0]!.variable.dataSync()));
      tf.dispose([x, ya, yb, ...Object.values(map)]);
      a.dispose();
      b.dispose();
    });
  });

  it('names the file and the field when weights do not match', async () => {
    await withTempDir(async (dir) => {
      const a = new Block(new Rng(1));
      await saveWeights(a, dir);
      const conv = new Conv3d({ channelsIn: 2, channelsOut: 3, kernel: 3, rng: new Rng(1) });
      await expect(loadWeights(conv, dir)).rejects.toThrow(WeightsFormatError);
      const other = new Conv3d({ channelsIn: 2, channelsOut: 4, kernel: 3, rng: new Rng(1) });
      const manifestPath = join(dir, 'model.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
      manifest.weightsManifest[0].weights = [{ name: 'weight', shape: [3, 3, 3, 2, 3], dtype: 'float32' }];
      await writeFile(manifestPath, JSON.stringify(manifest));
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(54 * 3 * 4));
      const message = await loadWeights(other, dir).then(
        () => '',
        (e: Error) => e.message.replace(dir, '<dir>'),
      );
      expect(message).toMatchInlineSnapshot(`"loadWeights(<dir>): weight "weight" has shape [3,3,3,2,3], expected [3,3,3,2,4]"`);
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(10));
      const truncated = await loadWeights(conv, dir).then(
        () => '',
        (e: Error) => e.message.replace(dir, '<dir>'),
      );
      expect(truncated).toMatchInlineSnapshot(`"loadWeights(<dir>): weights.bin has 10 bytes, the manifest describes 648"`);
      for (const m of [a, conv, other]) m.dispose();
    });
  });
});
