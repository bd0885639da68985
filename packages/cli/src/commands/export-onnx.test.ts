// `voxnas export --format onnx` and plugins that travel with exported models: model.onnx run by ONNX
// Runtime at two input sizes equals the reloaded voxnas network; the card (in metadata_props too) records
// the plugin modules; `voxnas predict` in a fresh process loads them; a missing or changed module is a
// PluginError naming it.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { Rng } from '@voxnas/core';
import { readOnnxMetadata } from '@voxnas/onnx';
import { createVolume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';
import { createSearchSpace, type Genotype } from '@voxnas/supernet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { PluginError } from '../errors.js';
import { handBuiltRun, TINY_UNET_SPEC } from '../../test/hand-built-run.js';
import { loadPlugins } from '../pipeline/plugins.js';
import type { NetworkSpec } from '../pipeline/network.js';
import { loadExportedModel, runExport, type ModelCard } from './export.js';
import { runPredict } from './predict.js';

const fixture = fileURLToPath(new URL('../../test/fixture-plugin.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const TINY = { seed: 5, data: { phantomCases: 4, folds: 2, patchSize: [16, 16, 16] }, search: { levels: 2, baseChannels: 4, nodes: 2 } };

/** A child of a 2-level space whose every edge is the fixture plugin's operator. */
function pluginChild(): NetworkSpec {
  const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 2, classes: 4, candidates: Object.fromEntries(['encoder-normal', 'reduction', 'decoder-normal', 'expansion'].map((c) => [c, ['zero', 'fixture-pointwise']])) });
  const genotype = { schema: 'voxnas/genotype@1', macro: space.macro, choices: Object.fromEntries(space.edges.map((e) => [e.label, 'fixture-pointwise'])) } as Genotype;
  return { kind: 'child', genotype, origin: 'file' };
}

/** ONNX Runtime logits (NCDHW) and the voxnas network's (NDHWC, transposed) on the same input; max |Δ| / range. */
async function agreement(bytes: Uint8Array, network: { apply(x: tf.Tensor5D): tf.Tensor5D }, shape: [number, number, number, number, number]) {
  const [n, c, d, h, w] = shape;
  const rng = new Rng(`input ${shape.join(',')}`);
  const data = Float32Array.from({ length: n * c * d * h * w }, () => rng.normal());
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const { logits } = await session.run({ image: new ort.Tensor('float32', data, shape) });
  await session.release();
  const ref = tf.tidy(() => tf.transpose(network.apply(tf.transpose(tf.tensor5d(data, shape), [0, 2, 3, 4, 1]) as tf.Tensor5D), [0, 4, 1, 2, 3]));
  const want = ref.dataSync() as Float32Array;
  ref.dispose();
  const got = logits!.data as Float32Array;
  expect(logits!.dims).toEqual([n, 4, d, h, w]);
  let max = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < want.length; i++) {
    max = Math.max(max, Math.abs(got[i]! - want[i]!));
    lo = Math.min(lo, want[i]!);
    hi = Math.max(hi, want[i]!);
  }
  return max / (hi - lo);
}

let root: string;
let run: string;
let pluginRoot: string;
let pluginRun: string;

beforeAll(async () => {
  await mkdir(fileURLToPath(new URL('../../.tmp/', import.meta.url)), { recursive: true });
  await loadPlugins(resolveConfig({ plugins: [fixture] })); // before the child network is built
  const a = await handBuiltRun({ prefix: 'voxnas-onnx-', config: TINY, weightsSeed: 7 });
  a.network.dispose();
  ({ root, run } = a);
  const b = await handBuiltRun({ prefix: 'voxnas-onnx-plugin-', config: { ...TINY, plugins: [fixture] }, weightsSeed: 8, spec: pluginChild() });
  b.network.dispose();
  ({ root: pluginRoot, run: pluginRun } = b);
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(pluginRoot, { recursive: true, force: true });
});

describe('voxnas export --format onnx', () => {
  it('writes model.onnx equal to the voxnas network at two input sizes, with the model card in metadata_props', async () => {
    const out = join(root, 'onnx');
    const r = await runExport({ run, out, format: 'onnx' });
    expect(r.files).toEqual(['model.json', 'weights.bin', 'network.json', 'model-card.json', 'model.onnx']);
    const bytes = new Uint8Array(await readFile(join(out, 'model.onnx')));
    const meta = readOnnxMetadata(bytes);
    const card = JSON.parse(await readFile(join(out, 'model-card.json'), 'utf8')) as ModelCard;
    expect(JSON.parse(meta['voxnas.model_card']!)).toEqual(card);
    expect(JSON.parse(meta['voxnas.labels']!)).toEqual({ '0': 'background', '1': 'ellipsoid', '2': 'box', '3': 'tube' });
    expect(JSON.parse(meta['voxnas.label_colors']!)).toEqual(card.labelColors);
    expect(card.labelColors!['0']).toEqual([0, 0, 0]);
    expect(meta['voxnas.orientation']).toBe(card.preprocessing.orientation);
    expect(JSON.parse(meta['voxnas.spacing_mm']!)).toEqual(card.preprocessing.spacingMm);
    expect(meta['voxnas.normalization']).toBe(card.preprocessing.normalization);
    expect(card.preprocessing.normalization).toBe('per channel as plan.json says (CT: dataset foreground clip + z-score; else per-case z-score)');
    expect(meta['voxnas.input_channels']).toBe('2');
    expect(meta['voxnas.layout']).toBe('NCDHW');
    expect(card.plugins).toEqual([]);
    const { network } = await loadExportedModel(out);
    try {
      expect(await agreement(bytes, network, [1, 2, 16, 8, 12])).toBeLessThan(1e-4);
      expect(await agreement(bytes, network, [2, 2, 6, 10, 4])).toBeLessThan(1e-4);
    } finally {
      network.dispose();
    }
    expect(TINY_UNET_SPEC.kind).toBe('unet');
  });

  it('refuses an unknown --format', async () => {
    await expect(runExport({ run, out: join(root, 'x'), format: 'pt' })).rejects.toThrowErrorMatchingInlineSnapshot(
      `[UsageError: voxnas export: --format is 'pt', expected one of tfjs, onnx]`,
    );
  });
});

describe('plugins travel with exported models', () => {
  it('records the plugin file (sha256, operators); the ONNX model of the plugin child equals voxnas; a fresh `voxnas predict` loads the plugin', async () => {
    const out = join(pluginRoot, 'onnx');
    const r = await runExport({ run: pluginRun, out, format: 'onnx' });
    const sha = (await import('node:crypto')).createHash('sha256').update(await readFile(fixture)).digest('hex');
    expect(r.card.plugins).toEqual([{ kind: 'file', path: fixture, sha256: sha, operators: ['fixture-pointwise'] }]);
    const bytes = new Uint8Array(await readFile(join(out, 'model.onnx')));
    expect(JSON.parse(readOnnxMetadata(bytes)['voxnas.plugins']!)).toEqual(r.card.plugins);
    const { network } = await loadExportedModel(out);
    try {
      expect(await agreement(bytes, network, [1, 2, 8, 12, 16])).toBeLessThan(1e-4);
      expect(await agreement(bytes, network, [1, 2, 16, 8, 8])).toBeLessThan(1e-4);
    } finally {
      network.dispose();
    }
    // A new process has never imported the plugin: predict must load it from the card (on a small image).
    const rng = new Rng('small input');
    const input = join(pluginRoot, 'small.nii.gz');
    await writeNifti(createVolume({ data: Float32Array.from({ length: 2 * 16 ** 3 }, () => rng.normal()), shape: [16, 16, 16], channels: 2, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }), input);
    const p = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@voxnas/source', bin, 'predict', '--run', out, '--input', input, '--output', join(pluginRoot, 'pred'), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, VOXNAS_BACKEND: 'cpu' },
    });
    expect(p.status, p.stderr).toBe(0);
    const written = JSON.parse(p.stdout) as Array<{ labelCounts: number[] }>;
    expect(written.length).toBe(1);
  }, 300_000);

  it('a missing or changed plugin module is a PluginError naming it', async () => {
    // inside the package (.tmp/ is git-ignored), so the copy resolves '@voxnas/ops' like the fixture
    const copyDir = await mkdtemp(fileURLToPath(new URL('../../.tmp/plugin-', import.meta.url)));
    const copy = join(copyDir, 'my-plugin.mjs');
    // a second plugin file (its operator renamed, as this process has registered the fixture's already)
    await writeFile(copy, (await readFile(fixture, 'utf8')).replace("name: 'fixture-pointwise'", "name: 'fixture-pointwise-copy'"));
    const cfgFile = join(pluginRun, 'config.json');
    const saved = JSON.parse(await readFile(cfgFile, 'utf8')) as { config: { plugins: string[] } };
    const out = join(pluginRoot, 'exported-copy');
    await writeFile(cfgFile, JSON.stringify({ ...saved, config: { ...saved.config, plugins: [copy] } }));
    try {
      const r = await runExport({ run: pluginRun, out });
      expect(r.card.plugins![0]).toMatchObject({ kind: 'file', path: copy });
    } finally {
      await writeFile(cfgFile, JSON.stringify(saved));
    }
    const input = join(pluginRun, 'data', 'phantom', 'imagesTs');
    const predict = () => runPredict({ run: out, input, output: join(pluginRoot, 'pred2') });
    const clean = (e: unknown) => String((e as Error).message).replaceAll(pluginRoot, '<tmp>').replaceAll(copyDir, '<plugin-dir>').replace(/[0-9a-f]{64}/g, '<sha256>');

    await writeFile(copy, `${await readFile(copy, 'utf8')}\n// edited\n`);
    const changed = await predict().catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(PluginError);
    expect(clean(changed)).toMatchInlineSnapshot(`"voxnas predict --run <tmp>/exported-copy: plugin file <plugin-dir>/my-plugin.mjs (operators "fixture-pointwise-copy") has changed since export: sha256 is <sha256>, expected <sha256>; restore the file the model was exported with"`);

    await rm(copy);
    const missing = await predict().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PluginError);
    expect(clean(missing)).toMatchInlineSnapshot(`"voxnas predict --run <tmp>/exported-copy: needs plugin file <plugin-dir>/my-plugin.mjs (operators "fixture-pointwise-copy"), which is missing; restore it at that path (sha256 <sha256>)"`);
    await expect(loadExportedModel(out)).rejects.toThrow(PluginError);
    await rm(copyDir, { recursive: true, force: true });
  });
});
