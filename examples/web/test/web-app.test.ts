// The built web app in Debian's headless Chromium (playwright-core, no browser download): a phantom case
// and an exported model opened through the page's file inputs, segmented with ONNX Runtime Web on
// WebAssembly and on WebGPU (SwiftShader adapter), labels saved as NIfTI and compared with `voxnas predict`
// on the same case; the overlay screenshot is kept (artifacts/, git-ignored) and checked for label
// colours; bad input gives a message on the page and nothing in the console; no request leaves localhost.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVolume, decodeNifti, encodeNifti, orientationCode, reorient, zScore } from '@voxnas/volume';
import { readNifti } from '@voxnas/volume/node';
import { slidingWindowInference } from '@voxnas/train';
import { loadExportedModel, main, type ModelCard } from 'voxnas';
import { assertChromium } from '@voxnas/browser-testing';
import { launchApp, openPage, type LaunchedApp } from './served-app.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = process.env.VOXNAS_ARTIFACTS ?? join(ROOT, 'artifacts');
/** A tiny U-Net trained a few steps on the phantom data (enough for a non-trivial label map). */
const TRAIN = [
  'search.levels=2',
  'search.baseChannels=4',
  'data.patchSize=[16,16,16]',
  'data.batchSize=2',
  'data.phantomCases=4',
  'data.folds=2',
  'train.steps=12',
  'train.warmupSteps=1',
  'train.validateEvery=100',
  'inference.overlap=0',
].flatMap((s) => ['--set', s]);

async function voxnas(args: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  if (code !== 0) throw new Error(`voxnas ${args.join(' ')} exited ${code}: ${err.join('\n')}`);
  return out.join('\n');
}

/** Pixels of the viewer canvas region whose colour is far from grey (label colours blended over the image). */
async function colouredPixels(page: Page, png: Buffer): Promise<number> {
  const box = (await page.locator('#viewer').boundingBox())!;
  return page.evaluate(
    async ({ data, box }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height)).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) {
        const r = px[i]!;
        const gr = px[i + 1]!;
        const b = px[i + 2]!;
        if (Math.max(r, gr, b) - Math.min(r, gr, b) > 60) n++;
      }
      return n;
    },
    { data: png.toString('base64'), box },
  );
}

let tmp: string;
let app: LaunchedApp | undefined;
let url: string;
let browser: Browser;
let imagePath: string;
let modelPath: string;
let card: ModelCard;
let reference: { labels: Uint8Array | Int16Array; margin: Float32Array };

const t0 = Date.now();
const lap = (what: string) => console.log(`web-app test: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);

beforeAll(async () => {
  assertChromium();
  tmp = await mkdtemp(join(tmpdir(), 'voxnas-web-'));
  const run = join(tmp, 'run');
  const exported = join(tmp, 'model');
  await voxnas(['train', '--out', run, '--arch', 'unet', '--quiet', ...TRAIN]);
  lap('trained');
  await voxnas(['export', '--run', run, '--out', exported, '--format', 'onnx']);
  card = JSON.parse(await readFile(join(exported, 'model-card.json'), 'utf8')) as ModelCard;
  modelPath = join(exported, 'model.onnx');
  const testDir = join(run, 'data', 'phantom', 'imagesTs');
  imagePath = join(testDir, (await readdir(testDir))[0]!);
  // voxnas predict (Node, tfjs) on the same case, and the margin of its blended probabilities
  await voxnas(['predict', '--run', exported, '--input', imagePath, '--out', join(tmp, 'pred')]);
  const predicted = await readNifti(join(tmp, 'pred', (await readdir(join(tmp, 'pred')))[0]!));
  const image = await readNifti(imagePath);
  const orient = card.preprocessing.orientation;
  expect(orient === null || orientationCode(image) === orient, 'the phantom case is in the training orientation (same grid)').toBe(true);
  const { network } = await loadExportedModel(exported);
  const { probabilities } = await slidingWindowInference(zScore(orient ? reorient(image, orient) : image), (x) => network.apply(x), {
    windowSize: card.patchSize,
    overlap: card.inference.overlap,
    batchSize: card.inference.windowsPerBatch,
    mirror: card.inference.mirror,
  });
  network.dispose();
  const n = predicted.data.length;
  const k = probabilities!.channels;
  const margin = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    let a = -Infinity;
    let b = -Infinity;
    for (let c = 0; c < k; c++) {
      const p = probabilities!.data[c * n + v]!;
      if (p > a) [a, b] = [p, a];
      else if (p > b) b = p;
    }
    margin[v] = a - b;
  }
  reference = { labels: predicted.data as Uint8Array, margin };
  lap('predicted in Node');
  app = await launchApp();
  ({ url, browser } = app);
  await mkdir(ARTIFACTS, { recursive: true });
  lap('built and served');
}, 600_000);

afterAll(async () => {
  await app?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('web app in Chromium', () => {
  it.each(['wasm', 'webgpu'] as const)(
    'segments the phantom case on %s like voxnas predict; saves the label map; the overlay shows it',
    async (backend) => {
      const { page, foreign, errors } = await openPage(browser, `${url}?backend=${backend}`);
      await page.setInputFiles('#image-file', imagePath);
      await page.setInputFiles('#model-file', modelPath);
      await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
      const before = await page.screenshot();
      await page.click('#run');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 170_000 });
      expect(await page.textContent('#message')).toMatch(/^done in/);
      const run = await page.evaluate(() => (window as unknown as { voxnasApp: { lastRun: Record<string, unknown> } }).voxnasApp.lastRun);
      expect(run.backend).toBe(backend);
      lap(`${backend}: ${run.windows} windows in ${Math.round(run.ms as number)} ms`);
      expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
      // the legend lists the model card's label names
      expect(await page.locator('#legend li').allTextContents()).toEqual(
        Object.entries(card.preprocessing.labels).map(([v, name]) => `${v} ${name}`),
      );

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      expect(download.suggestedFilename()).toMatch(/_labels\.nii\.gz$/);
      const saved = join(tmp, `${backend}-labels.nii.gz`);
      await download.saveAs(saved);
      const labels = decodeNifti(new Uint8Array(await readFile(saved))).volume;
      const image = await readNifti(imagePath);
      expect(labels.shape).toEqual(image.shape);
      expect(Array.from(labels.affine)).toEqual(Array.from(image.affine).map((v) => Math.fround(v)));
      let same = 0;
      let sure = 0;
      const differ: number[] = [];
      for (let v = 0; v < labels.data.length; v++) {
        if (labels.data[v] === reference.labels[v]) same++;
        if (reference.margin[v]! > 1e-3) {
          sure++;
          if (labels.data[v] !== reference.labels[v]) differ.push(v);
        }
      }
      expect(differ, `voxels with margin > 1e-3 that differ on ${backend}`).toEqual([]);
      expect(same / labels.data.length).toBeGreaterThanOrEqual(0.999);
      expect(sure).toBeGreaterThan(0.9 * labels.data.length);
      expect(new Set(labels.data).size).toBeGreaterThan(1);

      const shot = await page.screenshot({ path: join(ARTIFACTS, `web-app-overlay-${backend}.png`) });
      expect(await colouredPixels(page, before)).toBeLessThan(50); // the grey image alone
      expect(await colouredPixels(page, shot)).toBeGreaterThan(1000); // the label colours on top
      expect(foreign).toEqual([]);
      expect(errors, errors.join('\n')).toEqual([]);
      await writeFile(join(ARTIFACTS, `web-app-run-${backend}.json`), JSON.stringify(run));
      await page.close();
    },
    200_000,
  );

  it('bad input: a file that is not a NIfTI, a model whose channels do not match — messages, no console error', async () => {
    const { page, foreign, errors } = await openPage(browser, `${url}?backend=wasm`);
    const notNifti = join(tmp, 'notes.nii.gz');
    await writeFile(notNifti, 'these are my notes, not an image\n');
    await page.setInputFiles('#image-file', notNifti);
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    expect(await page.getAttribute('#message', 'class')).toBe('error');
    expect(await page.textContent('#message')).toMatch(/^notes\.nii\.gz is not a NIfTI image: /);

    const oneChannel = join(tmp, 'one-channel.nii.gz');
    const image = await readNifti(imagePath);
    const n = image.shape[0] * image.shape[1] * image.shape[2];
    await writeFile(oneChannel, encodeNifti(createVolume({ data: Float32Array.from(image.data.subarray(0, n)), shape: image.shape, affine: image.affine }), { gzip: true }));
    await page.setInputFiles('#image-file', oneChannel);
    await page.setInputFiles('#model-file', modelPath);
    await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    expect(await page.textContent('#message')).toBe(
      'the image has 1 channel(s), the model expects 2 — open an image with 2 channel(s) (a 4-D NIfTI for several)',
    );
    const notModel = join(tmp, 'model.onnx');
    await writeFile(notModel, 'not a model');
    await page.setInputFiles('#model-file', notModel);
    await page.waitForFunction(() => /is not an ONNX model/.test(document.getElementById('message')!.textContent ?? ''));
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
