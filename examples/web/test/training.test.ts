// The training panel of the built app in Debian's headless Chromium (playwright-core): 20 steps on the
// built-in phantom case on TensorFlow.js's WebGPU backend (SwiftShader adapter), progress bar and loss
// curve checked in the page; the three exported files downloaded and loaded in Node the way voxnas
// loads an exported model (`loadExportedModel`), whose prediction on the same case must match the
// page's trained network. Bad input gives messages on the page, nothing in the console.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { caseTensors } from '@voxnas/train';
import { UNet } from '@voxnas/unet';
import { createVolume, encodeNifti } from '@voxnas/volume';
import { loadExportedModel } from 'voxnas';
import { launchApp, openPage, type LaunchedApp } from './served-app.js';
import { PHANTOM_CASE, TRAINING_STEPS, phantomTrainingCase, trainingNetworkSpec } from '../src/training-case.js';
import { curvePoints } from '../src/training-panel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = process.env.VOXNAS_ARTIFACTS ?? join(ROOT, 'artifacts');
/** |logit_page − logit_node| allowed, relative to max(1, max |logit_node|): float32 forward passes on two backends. */
const LOGIT_TOLERANCE = 1e-4;

let tmp: string;
let app: LaunchedApp | undefined;
let url: string;
let browser: Browser;

interface PageTrainingView {
  backend: string;
  note: string;
  reports: Array<{ step: number; loss: number; ms: number }>;
}

const training = (page: Page) =>
  page.evaluate(() => {
    const t = (window as unknown as { voxnasApp: { training?: { backend: string; note: string; reports(): PageTrainingView['reports'] } } }).voxnasApp.training;
    return t ? { backend: t.backend, note: t.note, reports: [...t.reports()] } : undefined;
  });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'voxnas-web-train-'));
  app = await launchApp();
  ({ url, browser } = app);
  await mkdir(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await app?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('training in the web app (Chromium)', () => {
  it('curvePoints spans the box, first and last step at the edges', () => {
    expect(curvePoints([2, 1.5, 1], 3, 320, 120)).toBe('0.0,0.0 160.0,60.0 320.0,120.0');
    expect(curvePoints([], 3, 320, 120)).toBe('');
  });

  it(
    `the phantom case on webgpu: ${TRAINING_STEPS} steps lower the loss, progress at its max, ${TRAINING_STEPS} curve points; the exported files load in Node and predict what the page predicts`,
    async () => {
      const { page, foreign, errors } = await openPage(browser, `${url}?train=webgpu`);
      await page.click('#train-phantom');
      await page.waitForFunction(() => document.querySelector('#training-panel')?.getAttribute('data-state') === 'ready');
      const started = (await training(page))!;
      // Chromium here gets a SwiftShader WebGPU adapter (chromiumArgs): training must run on it, not fall back.
      expect(started.backend, started.note).toBe('webgpu');
      expect(await page.textContent('#train-message')).toMatch(/^phantom: 16 × 12 × 8 voxels, 1 channel\(s\), 4 classes — on WebGPU/);
      await expect(page.isDisabled('#training-panel button:has-text("Export")')).resolves.toBe(true);

      await page.click('#training-panel button:has-text("Train")');
      await page.waitForFunction(() => ['trained', 'error'].includes(document.querySelector('#training-panel')?.getAttribute('data-state') ?? ''), undefined, {
        timeout: 480_000,
        polling: 500,
      });
      expect(await page.textContent('#training-panel span')).toMatch(new RegExp(`^step ${TRAINING_STEPS}/${TRAINING_STEPS} · loss \\d+\\.\\d{4} · \\d+ ms$`));
      const { reports } = (await training(page))!;
      const losses = reports.map((r) => r.loss);
      expect(losses).toHaveLength(TRAINING_STEPS);
      expect(losses.every(Number.isFinite)).toBe(true);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-3))).toBeLessThan(0.8 * mean(losses.slice(0, 3)));
      const progress = await page.evaluate(() => {
        const p = document.querySelector('#training-panel progress') as HTMLProgressElement;
        return [p.value, p.max];
      });
      expect(progress).toEqual([TRAINING_STEPS, TRAINING_STEPS]);
      const points = (await page.getAttribute('#training-panel polyline', 'points'))!.split(' ');
      expect(points).toHaveLength(TRAINING_STEPS);
      // The curve is the losses: first point at the top-left (highest loss), last at the right.
      expect(points[0]).toBe(curvePoints(losses, TRAINING_STEPS, 320, 120).split(' ')[0]);
      expect(Number(points.at(-1)!.split(',')[0])).toBe(320);
      await page.screenshot({ path: join(ARTIFACTS, 'web-app-training-webgpu.png'), fullPage: true });

      // Export: the three files of an exported voxnas model, downloaded as a person would.
      await page.click('#training-panel button:has-text("Export")');
      await page.waitForFunction(() => document.getElementById('download-weights') !== null || document.querySelector('#training-panel')?.getAttribute('data-state') === 'error');
      expect(await page.getAttribute('#training-panel', 'data-state'), (await page.textContent('#training-panel span')) ?? '').toBe('trained');
      const exported = join(tmp, 'exported');
      await mkdir(exported);
      for (const [id, name] of [['download-network', 'network.json'], ['download-model', 'model.json'], ['download-weights', 'weights.bin']] as const) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
        expect(download.suggestedFilename()).toBe(name);
        await download.saveAs(join(exported, name));
      }
      const pageLogits = await page.evaluate(() =>
        (window as unknown as { voxnasApp: { training: { predict(): Promise<number[]> } } }).voxnasApp.training.predict(),
      );

      // Node (cpu backend): voxnas's loader on the downloaded files, the same case built from the same seed.
      const { network, spec } = await loadExportedModel(exported);
      const trainingCase = phantomTrainingCase();
      expect(spec).toEqual(trainingNetworkSpec(PHANTOM_CASE.modalities, trainingCase.classes));
      const data = caseTensors(trainingCase.image, trainingCase.label);
      const initial = new UNet({ ...trainingNetworkSpec(PHANTOM_CASE.modalities, trainingCase.classes).options, rng: new Rng('web training') }).eval();
      const [y, y0] = [network.apply(data.x), initial.apply(data.x)];
      const nodeLogits = await y.data();
      const initialLogits = await y0.data();
      tf.dispose([y, y0, data.x, data.y]);
      network.dispose();
      initial.dispose();
      expect(pageLogits).toHaveLength(nodeLogits.length);
      let diff = 0;
      let scale = 1;
      let fromInitial = 0;
      for (let i = 0; i < nodeLogits.length; i++) {
        diff = Math.max(diff, Math.abs(pageLogits[i]! - nodeLogits[i]!));
        scale = Math.max(scale, Math.abs(nodeLogits[i]!));
        fromInitial = Math.max(fromInitial, Math.abs(initialLogits[i]! - nodeLogits[i]!));
      }
      console.log(`web training test: losses ${losses[0]!.toFixed(4)} → ${losses.at(-1)!.toFixed(4)}; page vs Node logits max |Δ| ${diff.toExponential(2)} (scale ${scale.toFixed(3)}); trained vs initial ${fromInitial.toFixed(3)}`);
      expect(diff / scale).toBeLessThanOrEqual(LOGIT_TOLERANCE);
      // The loaded weights are the trained ones, not the initial ones the same seed gives.
      expect(fromInitial).toBeGreaterThan(100 * LOGIT_TOLERANCE * scale);
      await writeFile(join(ARTIFACTS, 'web-app-training-webgpu.json'), JSON.stringify({ backend: started.backend, note: started.note, reports, logitDiff: diff, logitScale: scale }));
      expect(foreign).toEqual([]);
      expect(errors, errors.join('\n')).toEqual([]);
      await page.close();
    },
    600_000,
  );

  it('bad input: a label map before any image, a label map on another grid — messages, no console error', async () => {
    const { page, foreign, errors } = await openPage(browser, `${url}?train=cpu`);
    const trainingCase = phantomTrainingCase();
    const label = join(tmp, 'label.nii.gz');
    await writeFile(label, encodeNifti(trainingCase.label, { gzip: true }));
    await page.setInputFiles('#label-file', label);
    await page.waitForFunction(() => document.getElementById('train-message')!.className === 'error');
    expect(await page.textContent('#train-message')).toBe('open the image first, then its label map');

    const image = join(tmp, 'image.nii.gz');
    await writeFile(image, encodeNifti(trainingCase.image, { gzip: true }));
    await page.setInputFiles('#image-file', image);
    await page.waitForFunction(() => document.body.dataset.state === 'idle');
    const other = createVolume({ data: trainingCase.label.data, shape: trainingCase.label.shape, affine: Float64Array.from(trainingCase.label.affine, (v, i) => (i === 7 ? v + 5 : v)), kind: 'label' });
    const shifted = join(tmp, 'shifted-label.nii.gz');
    await writeFile(shifted, encodeNifti(other, { gzip: true }));
    await page.evaluate(() => {
      document.getElementById('train-message')!.className = '';
    });
    await page.setInputFiles('#label-file', shifted);
    await page.waitForFunction(() => document.getElementById('train-message')!.className === 'error');
    expect(await page.textContent('#train-message')).toMatch(/^the label map of image\.nii\.gz: affine\[1\]\[3\] is .* — open the label map that belongs to this image$/);

    // The matching label map mounts the panel (cpu asked in the URL).
    await page.setInputFiles('#label-file', label);
    await page.waitForFunction(() => document.querySelector('#training-panel')?.getAttribute('data-state') === 'ready');
    expect(await page.textContent('#train-message')).toMatch(/^image\.nii\.gz: 16 × 12 × 8 voxels, 1 channel\(s\), 4 classes — on cpu/);
    expect(foreign).toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });
});
