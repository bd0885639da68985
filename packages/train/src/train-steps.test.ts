import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { generatePhantomCase } from '@voxnas/datasets';
import { Conv3d, InstanceNorm3d, ReLU, Sequential, deserializeWeights, type WeightsFile } from '@voxnas/ops';
import { GeometryError, createVolume } from '@voxnas/volume';
import { expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { TrainConfigError, caseTensors, exportWeights, trainSteps } from './index.js';

const net = (seed: string, channelsIn: number) => {
  const rng = new Rng(seed).fork('init');
  return new Sequential({
    conv: new Conv3d({ channelsIn, channelsOut: 6, kernel: 3, rng }),
    norm: new InstanceNorm3d({ channels: 6 }),
    relu: new ReLU(),
    head: new Conv3d({ channelsIn: 6, channelsOut: 4, kernel: 1, bias: true, rng }),
  });
};

describe('caseTensors', () => {
  it('image [9,10,8] × 2 channels: channel c of voxel (x,y,z) lands at [0,z,y,x,c]; labels int32 [1,z,y,x]', async () => {
    const { image, label } = generatePhantomCase(new Rng(3), { shape: [9, 10, 8], modalities: 2 });
    const [nx, ny, nz] = image.shape;
    const n = nx * ny * nz;
    await expectNoLeaks(async () => {
      const { x, y } = caseTensors(image, label);
      expect(x.shape).toEqual([1, nz, ny, nx, 2]);
      expect(y.shape).toEqual([1, nz, ny, nx]);
      expect(y.dtype).toBe('int32');
      const xs = await x.array();
      const ys = await y.array();
      for (const [vx, vy, vz] of [[0, 0, 0], [8, 9, 7], [3, 5, 2], [6, 1, 4]] as const) {
        const v = vx + nx * (vy + ny * vz);
        expect(xs[0]![vz]![vy]![vx]).toEqual([image.data[v], image.data[n + v]]);
        expect(ys[0]![vz]![vy]![vx]).toBe(label.data[v]);
      }
      tf.dispose([x, y]);
    });
  });

  it('a label map off the image grid, with two channels or a fractional value is refused', () => {
    const { image, label } = generatePhantomCase(new Rng(3), { shape: [9, 8, 8], modalities: 1 });
    const shifted = createVolume({ data: label.data, shape: label.shape, affine: Float64Array.from(label.affine, (v, i) => (i === 3 ? v + 1 : v)), kind: 'label' });
    expect(() => caseTensors(image, shifted)).toThrow(GeometryError);
    const two = createVolume({ data: new Uint8Array(label.data.length * 2), shape: label.shape, channels: 2, affine: label.affine, kind: 'label' });
    expect(() => caseTensors(image, two)).toThrow(TrainConfigError);
    const frac = createVolume({ data: Float32Array.from(label.data, (v, i) => (i === 5 ? 0.5 : v)), shape: label.shape, affine: label.affine, kind: 'label' });
    expect(() => caseTensors(image, frac)).toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: caseTensors: label value 0.5 at voxel 5, expected a non-negative integer]`);
  });
});

describe('trainSteps and exportWeights', () => {
  it('12 steps on a phantom case lower the loss, report every step, leave no tensor; the export loads back to the same outputs', async () => {
    const { image, label } = generatePhantomCase(new Rng(7), { shape: [12, 10, 8], modalities: 1 });
    const data = caseTensors(image, label);
    const a = net('a', 1);
    const seen: number[] = [];
    const reports = await expectNoLeaks(() => trainSteps({ net: a, data, steps: 12, lr: 0.02, onStep: (r) => void seen.push(r.step) }));
    expect(seen).toEqual([...Array(12).keys()]);
    const losses = reports.map((r) => r.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.slice(-3).reduce((s, l) => s + l, 0)).toBeLessThan(0.9 * losses.slice(0, 3).reduce((s, l) => s + l, 0));

    const { file, data: bytes } = await exportWeights(a);
    const b = net('another init', 1);
    deserializeWeights(b, JSON.parse(JSON.stringify(file)) as WeightsFile, bytes.slice());
    const [pa, pb] = [a.apply(data.x), b.apply(data.x)];
    expect(Array.from(await pb.data())).toEqual(Array.from(await pa.data()));
    tf.dispose([pa, pb, data.x, data.y]);
    a.dispose();
    b.dispose();
  });

  it.each([0, 2.5, -1])('steps=%s is refused', async (steps) => {
    const { image, label } = generatePhantomCase(new Rng(7), { shape: [8, 8, 8], modalities: 1 });
    const data = caseTensors(image, label);
    const a = net('a', 1);
    await expect(trainSteps({ net: a, data, steps })).rejects.toThrow(TrainConfigError);
    a.dispose();
    tf.dispose([data.x, data.y]);
  });
});
