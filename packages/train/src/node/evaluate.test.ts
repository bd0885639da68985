import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '@voxnas/core';
import { readNifti } from '@voxnas/volume/node';
import { createLoader, generatePhantomDataset } from '@voxnas/datasets';
import { createVolume, type Volume } from '@voxnas/volume';
import { expectNoLeaks, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { evaluateCases, segmentationValidator } from './evaluate.js';
import { TinyNet } from '../../test/tiny-net.js';
import { loaderSource } from '../loader-source.js';
import { RunLog } from './run-log.js';
import { Trainer } from './trainer.js';

const SHAPE = [11, 9, 7] as const;
const AFFINE = [1.2, 0, 0, -3, 0, 0.9, 0, 4, 0, 0, 2, 1, 0, 0, 0, 1];

function labels(seed: number, flipRate: number, base?: Volume<'uint8'>): Volume<'uint8'> {
  const rng = new Rng(seed);
  const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const data = base ? Uint8Array.from(base.data) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!base) {
      const x = i % SHAPE[0];
      data[i] = x < 3 ? 0 : x < 7 ? 1 : 2;
    }
    if (rng.float() < flipRate) data[i] = rng.int(0, 3);
  }
  return createVolume({ data, shape: SHAPE, affine: AFFINE, kind: 'label' });
}

const NUMPY_DICE = `
import json, sys, numpy as np
cases = json.load(sys.stdin)
out = []
for c in cases:
    p = np.array(c['p']); r = np.array(c['r'])
    out.append([2 * np.sum((p == k) & (r == k)) / (np.sum(p == k) + np.sum(r == k)) for k in (1, 2)])
print(json.dumps(out))
`;

describe('evaluateCases', () => {
  it('writes metrics.json, metrics.csv and summary.csv with Dice matching numpy', async () => {
    const ref1 = labels(1, 0);
    const ref2 = labels(2, 0.1);
    const cases = [
      { caseId: 'a', prediction: labels(3, 0.2, ref1), reference: ref1 },
      { caseId: 'b', prediction: labels(4, 0.4, ref2), reference: ref2 },
    ];
    await withTempDir(async (dir) => {
      const report = await evaluateCases(cases, { outDir: dir, labels: [1, 2] });
      const ref = runPythonReference<number[][]>(
        NUMPY_DICE,
        cases.map((c) => ({ p: Array.from(c.prediction.data), r: Array.from(c.reference.data) })),
      );
      report.cases.forEach((c, i) => c.result.classes.forEach((k, j) => expect(k.metrics.dice).toBeCloseTo(ref[i]![j]!, 12)));
      const json = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
      expect(json.summary.classes.map((k: { name: string }) => k.name)).toEqual(['1', '2']);
      expect(json.summary.classes[0].metrics.dice.mean).toBeCloseTo((ref[0]![0]! + ref[1]![0]!) / 2, 12);
      const csv = (await readFile(join(dir, 'metrics.csv'), 'utf8')).trim().split('\n');
      expect(csv).toHaveLength(1 + 4);
      expect(csv[1]!.startsWith('a,1,1,none,')).toBe(true);
      expect((await readFile(join(dir, 'summary.csv'), 'utf8')).split('\n')[0]).toBe('class,metric,mean,std,median,min,max,n,nan_count');
    });
  });
});

describe('segmentationValidator', () => {
  it('scores a perfect network 1 and a biased one lower, restoring train mode', async () => {
    const label = labels(5, 0.05);
    const image = createVolume({ data: Float32Array.from(label.data), shape: SHAPE, affine: AFFINE });
    let training = true;
    const modes: boolean[] = [];
    const network = (shift: number) => ({
      apply: (x: tf.Tensor5D) =>
        tf.tidy(() => {
          modes.push(training);
          const cls = tf.cast(tf.squeeze(x, [4]), 'int32');
          return tf.mul(tf.oneHot(tf.mod(tf.add(cls, tf.scalar(shift, 'int32')), tf.scalar(3, 'int32')) as tf.Tensor4D, 3), 5) as tf.Tensor5D;
        }),
      train: (mode = true) => {
        training = mode;
      },
    });
    const validate = segmentationValidator({ cases: [{ caseId: 'v', image, label }], windowSize: [6, 5, 4], labels: [1, 2] });
    await expectNoLeaks(async () => {
      expect(await validate({ network: network(0) })).toBe(1);
      expect(await validate({ network: network(1) })).toBe(0); // every class shifted
    });
    expect(modes.every((m) => m === false)).toBe(true);
    expect(training).toBe(true);
  });

  it('soft Dice: 2·Σp·y / (Σp + Σy) of the probabilities, equal to numpy on the same softmax outputs', async () => {
    const label = labels(6, 0.05);
    const image = createVolume({ data: Float32Array.from(label.data), shape: SHAPE, affine: AFFINE });
    // Logits 1.5 on the true class (softmax ≈ 0.68 there): every argmax is right, the probabilities are not 1.
    const network = {
      apply: (x: tf.Tensor5D) => tf.tidy(() => tf.mul(tf.oneHot(tf.cast(tf.squeeze(x, [4]), 'int32') as tf.Tensor4D, 3), 1.5) as tf.Tensor5D),
      train: () => {},
    };
    const hard = await segmentationValidator({ cases: [{ caseId: 'v', image, label }], windowSize: [6, 5, 4], labels: [1, 2] })({ network });
    const soft = await segmentationValidator({ cases: [{ caseId: 'v', image, label }], windowSize: [6, 5, 4], labels: [1, 2], score: 'soft-dice' })({ network });
    const expected = runPythonReference<number>(
      `
import json, sys
import numpy as np
d = json.load(sys.stdin)
y = np.array(d['label'])
p_true = np.exp(1.5) / (np.exp(1.5) + 2.0)
p_other = 1.0 / (np.exp(1.5) + 2.0)
out = []
for k in (1, 2):
    p = np.where(y == k, p_true, p_other)
    out.append(2 * p[y == k].sum() / (p.sum() + (y == k).sum()))
print(json.dumps(float(np.mean(out))))
`,
      { label: Array.from(label.data) },
    );
    expect(hard).toBe(1);
    expect(soft).toBeCloseTo(expected, 5);
    expect(soft).toBeLessThan(1);
  });
});

describe('Trainer.fit with segmentationValidator', () => {
  it('validates on a held-out phantom case and keeps the best checkpoint', async () => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir: join(dir, 'data'), cases: 2, shape: [14, 12, 9], modalities: 1, seed: 2 });
      const plan = { dataset: data, caseIds: ['phantom_000'], patchShape: [8, 6, 5] as [number, number, number], batchSize: 2, seed: 1 };
      const source = loaderSource({ open: (startBatch) => createLoader({ ...plan, startBatch }), numClasses: 4 });
      const net = new TinyNet(new Rng(3), { channelsOut: 4 });
      const trainer = new Trainer({
        network: net,
        optimizer: { kind: 'adam' },
        schedule: { kind: 'constant', lr: 0.02 },
        loss: (out, b) => tf.losses.softmaxCrossEntropy(b.label, out) as tf.Scalar,
        data: source,
      });
      const val = {
        caseId: 'phantom_001',
        image: await readNifti(join(data, 'imagesTr', 'phantom_001.nii.gz')),
        label: await readNifti(join(data, 'labelsTr', 'phantom_001.nii.gz')),
      };
      const log = new RunLog(join(dir, 'log.jsonl'));
      const state = await trainer.fit({
        steps: 6,
        validateEvery: 3,
        validate: segmentationValidator({ cases: [val], windowSize: [8, 6, 5], labels: [1, 2, 3] }),
        checkpointDir: join(dir, 'ck'),
        log,
      });
      const validations = (await log.read()).filter((r) => r.type === 'validation');
      expect(validations.map((r) => r.step)).toEqual([2, 5]);
      const scores = validations.map((r) => r.score as number);
      for (const x of scores) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }
      expect(state.bestScore).toBe(Math.max(...scores));
      const best = (await readFile(join(dir, 'ck', 'best'), 'utf8')).trim();
      expect(best).toBe(`step-0000000${state.bestStep}`);
      expect(net.training).toBe(true);
      await source.close();
      trainer.dispose();
      net.dispose();
    });
  });
});
