// Timing for the note (not a test): the web app's in-browser inference (ONNX Runtime Web, WebAssembly and
// WebGPU on SwiftShader) on a phantom case and on a 128³ volume, against `voxnas predict` (tfjs in Node)
// and onnxruntime-node on the same model and inputs. Prints one JSON line per measurement.
//   node --import tsx --conditions=@voxnas/source examples/web/scripts/measure.ts [--skip-webgpu-128]
import { createServer } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import ort from 'onnxruntime-node';
import { chromiumArgs, chromiumPath } from '@voxnas/browser-testing';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { slidingWindowInferenceHost } from '@voxnas/train';
import { main } from 'voxnas';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const skipWebgpu128 = process.argv.includes('--skip-webgpu-128');
const out = (row: Record<string, unknown>) => console.log(JSON.stringify({ ...row, load: loadavg().map((l) => +l.toFixed(2)) }));

async function voxnas(args: string[]): Promise<void> {
  const err: string[] = [];
  const code = await main(args, { out: () => {}, err: (t) => err.push(t) });
  if (code !== 0) throw new Error(`voxnas ${args.join(' ')}: ${err.join('\n')}`);
}

const tmp = await mkdtemp(join(tmpdir(), 'voxnas-measure-'));
const run = join(tmp, 'run');
const model = join(tmp, 'model');
// A 3-level U-Net (8 base channels) on 32³ windows; one training step is enough for timing.
const settings = ['search.levels=3', 'search.baseChannels=8', 'data.patchSize=[32,32,32]', 'data.batchSize=1', 'data.phantomCases=4', 'data.folds=2', 'train.steps=1', 'train.warmupSteps=0', 'train.validateEvery=100', 'inference.overlap=0.5'].flatMap((s) => ['--set', s]);
await voxnas(['train', '--out', run, '--arch', 'unet', '--quiet', ...settings]);
await voxnas(['export', '--run', run, '--out', model, '--format', 'onnx']);
const card = JSON.parse(await readFile(join(model, 'model-card.json'), 'utf8'));
const testDir = join(run, 'data', 'phantom', 'imagesTs');
const phantom = join(testDir, (await readdir(testDir))[0]!);
const big = join(tmp, 'volume-128.nii.gz');
const rng = new Rng('128');
await writeNifti(createVolume({ data: Float32Array.from({ length: 2 * 128 ** 3 }, () => rng.normal()), shape: [128, 128, 128], channels: 2, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }), big);
out({ what: 'model', parameters: card.parameters, patchSize: card.patchSize, overlap: card.inference.overlap, mirror: card.inference.mirror });

const inputs = [
  { name: 'phantom', path: phantom, shape: (await readNifti(phantom)).shape },
  { name: '128³', path: big, shape: [128, 128, 128] },
];

// voxnas predict in Node (tfjs; the backend initBackend picks), whole command incl. model load
for (const input of inputs) {
  const t = performance.now();
  await voxnas(['predict', '--run', model, '--input', input.path, '--out', join(tmp, `pred-${input.name}`), '--quiet']);
  out({ what: 'voxnas predict (Node, tfjs)', input: input.name, shape: input.shape, ms: Math.round(performance.now() - t) });
}

// onnxruntime-node, same model, same sliding windows (2 threads)
for (const input of inputs) {
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(join(model, 'model.onnx'))), { intraOpNumThreads: 2 });
  const image = await readNifti(input.path);
  const { zScore } = await import('@voxnas/volume');
  const t = performance.now();
  await slidingWindowInferenceHost(zScore(image), async (x, [b, d, h, w, c]) => {
    const nc = new Float32Array(x.length);
    const v = d * h * w;
    for (let i = 0; i < v; i++) for (let k = 0; k < c; k++) nc[k * v + i] = x[i * c + k]!;
    const { logits } = await session.run({ image: new ort.Tensor('float32', nc, [b, c, d, h, w]) });
    const k = logits!.dims[1]!;
    const y = new Float32Array(logits!.data.length);
    for (let i = 0; i < v; i++) for (let j = 0; j < k; j++) y[i * k + j] = (logits!.data as Float32Array)[j * v + i]!;
    return { data: y, shape: [b, d, h, w, k] };
  }, { windowSize: card.patchSize, overlap: card.inference.overlap, output: 'labels' });
  out({ what: 'onnxruntime-node (2 threads)', input: input.name, ms: Math.round(performance.now() - t) });
  await session.release();
}

// the web app in Chromium
const dist = join(tmp, 'dist');
await build({ root: ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const file = join(dist, new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html'));
  readFile(file).then(
    (body) => {
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.end(body);
    },
    () => {
      res.writeHead(404);
      res.end();
    },
  );
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true });
for (const backend of ['wasm', 'webgpu'] as const) {
  for (const input of inputs) {
    if (backend === 'webgpu' && input.name === '128³' && skipWebgpu128) continue;
    const page = await browser.newPage();
    await page.goto(`${url}?backend=${backend}`);
    await page.setInputFiles('#image-file', input.path);
    await page.setInputFiles('#model-file', join(model, 'model.onnx'));
    await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
    const threads = await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 3_600_000, polling: 1000 });
    const r = await page.evaluate(() => ({ state: document.body.dataset.state, message: document.getElementById('message')!.textContent, run: (window as unknown as { voxnasApp: { lastRun: unknown } }).voxnasApp.lastRun }));
    out({ what: `browser ${backend}`, input: input.name, crossOriginIsolated: threads, ...r });
    await page.close();
  }
}
await browser.close();
server.close();
await rm(tmp, { recursive: true, force: true });
