// The README example, run as written (paths under a temporary directory).
import * as tf from '@tensorflow/tfjs-core';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLosses } from '@voxnas/metrics';
import { Conv3d, InstanceNorm3d, ReLU, Sequential } from '@voxnas/ops';
import { Rng } from '@voxnas/core';
import { readNifti } from '@voxnas/volume/node';
import { createLoader, generatePhantomDataset } from '@voxnas/datasets';
import { withTempDir } from '@voxnas/testing';
import { expect, it } from 'vitest';
import { Trainer, openRunDir, writePrediction } from '@voxnas/train/node';
import { loaderSource, predictCase } from './index.js';

it('README example: train 20 steps with checkpoints, then predict a NIfTI on the input grid', async () => {
  await withTempDir(async (tmp) => {
    const at = (p: string) => join(tmp, p);
    // --- README ---
    const dataset = await generatePhantomDataset({ dir: at('phantom'), cases: 2, shape: [24, 20, 16], modalities: 1 });
    const rng = new Rng(1).fork('init');
    const net = new Sequential({
      conv: new Conv3d({ channelsIn: 1, channelsOut: 8, kernel: 3, rng }), norm: new InstanceNorm3d({ channels: 8 }),
      relu: new ReLU(), head: new Conv3d({ channelsIn: 8, channelsOut: 4, kernel: 1, bias: true, rng }),
    });
    const plan = { dataset, patchShape: [16, 16, 8] as [number, number, number], batchSize: 2, seed: 1 };
    const run = await openRunDir(at('runs/demo'), { config: plan, seed: 1 });
    const data = loaderSource({ open: (startBatch) => createLoader({ ...plan, startBatch }), numClasses: 4 });
    const losses = createLosses(tf);
    const trainer = new Trainer({
      network: net, data, optimizer: { kind: 'sgd', momentum: 0.99, nesterov: true },
      schedule: { kind: 'poly', lr: 0.01, totalSteps: 20 }, loss: (logits, batch) => losses.diceCe(logits, batch.label),
    });
    if (run.resumed) await trainer.loadCheckpoint(run.checkpointDir); // continue a killed run exactly
    await trainer.fit({ steps: 20, checkpointDir: run.checkpointDir, checkpointEvery: 10, log: run.log });
    await data.close();
    const image = await readNifti(at('phantom/imagesTr/phantom_000.nii.gz'));
    const labels = await predictCase(image, (x) => net.apply(x), { windowSize: [16, 16, 8], mirror: true });
    await writePrediction(labels, { reference: image, path: at('runs/demo/pred.nii.gz') });
    // --- end ---
    const pred = await readNifti(at('runs/demo/pred.nii.gz'));
    expect(pred.shape).toEqual(image.shape);
    expect(Array.from(pred.affine)).toEqual(Array.from(image.affine).map((v) => Math.fround(v)));
    expect((await readFile(join(run.checkpointDir, 'latest'), 'utf8')).trim()).toBe('step-00000020');
    expect((await readdir(run.checkpointDir)).filter((e) => e.startsWith('step-'))).toEqual(['step-00000010', 'step-00000020']);
    const steps = (await run.log.read()).filter((r) => r.type === 'step');
    expect(steps.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    trainer.dispose();
    net.dispose();
  });
});
