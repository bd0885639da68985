import { saveWeights } from '@voxnas/ops/node';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { WeightsFormatError, type Network } from '@voxnas/ops';
import { createSearchSpace, genotypeCost, sampleRandomGenotype } from '@voxnas/supernet';
import { Rng } from '@voxnas/core';
import { readNifti } from '@voxnas/volume/node';
import { spacingMm } from '@voxnas/volume';
import { ConfigError } from '../errors.js';
import { main } from '../main.js';
import { buildNetwork, countParameters, type NetworkSpec } from '../pipeline/network.js';
import { handBuiltRun, TINY_UNET_SPEC } from '../../test/hand-built-run.js';
import { loadExportedModel, runExport, type ModelCard } from './export.js';

// A train run built by hand from the pieces `voxnas train` uses (prepareData, buildNetwork,
// saveWeights, evaluateCases' metrics.json), so the test needs no training steps.
const TINY = {
  seed: 5,
  data: { phantomCases: 4, folds: 2, patchSize: [16, 16, 16] },
  search: { levels: 2, baseChannels: 4, nodes: 2 },
};
const SPEC = TINY_UNET_SPEC;
const SUMMARY = { classes: [{ name: 'ellipsoid', metrics: { dice: { mean: 0.5 } } }], foregroundMean: { dice: 0.5 }, cases: 2 };

let root: string;
let run: string;
let original: Network;

beforeAll(async () => {
  ({ root, run, network: original } = await handBuiltRun({ prefix: 'voxnas-export-', config: TINY, weightsSeed: 21 }));
  await writeFile(join(run, 'metrics.json'), JSON.stringify({ cases: [], summary: SUMMARY }));
  original.eval();
}, 120_000);

afterAll(async () => {
  original.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A fixed input [1, z=16, y=16, x=16, c=2]. */
function fixedInput(): tf.Tensor5D {
  const n = 16 * 16 * 16 * 2;
  return tf.tensor5d(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + ((i * 7) % 13) / 13), [1, 16, 16, 16, 2]);
}

describe('voxnas export', () => {
  it('writes the model files and a model card; reloads to bit-identical predictions', async () => {
    const out = join(root, 'exported');
    const r = await runExport({ run, out });
    expect(r.files).toEqual(['model.json', 'weights.bin', 'network.json', 'model-card.json']);
    const card = JSON.parse(await readFile(join(out, 'model-card.json'), 'utf8')) as ModelCard;
    const firstCase = await readNifti(join(run, 'preprocessed', 'imagesTr', 'phantom_000.nii.gz'));
    expect(card.format).toBe('voxnas-model-card@1');
    expect(card.architecture).toEqual({ kind: 'unet', options: SPEC.options });
    expect(card.parameters).toBe(countParameters(original));
    expect(card.flops).toBeNull();
    expect(card.preprocessing).toEqual({
      normalization: 'per channel as plan.json says (CT: dataset foreground clip + z-score; else per-case z-score)',
      spacingMm: spacingMm(firstCase).map((s) => Math.round(s * 1e6) / 1e6),
      orientation: 'RAS',
      modalities: ['contrast0', 'contrast1'],
      labels: { '0': 'background', '1': 'ellipsoid', '2': 'box', '3': 'tube' },
      // the run's plan, so `voxnas predict` prepares inputs the same way
      plan: JSON.parse(await readFile(join(run, 'plan.json'), 'utf8')),
    });
    expect(card.patchSize).toEqual([16, 16, 16]);
    expect(card.inference).toEqual({ overlap: 0.5, mirror: false, windowsPerBatch: 2 });
    expect(card.validation).toEqual(SUMMARY);
    expect(card.seed).toBe(5);
    expect(Object.keys(card.packages)).toContain('@voxnas/ops');

    const loaded = await loadExportedModel(out);
    try {
      expect(loaded.card).toEqual(card);
      expect(loaded.spec).toEqual(SPEC);
      const x = fixedInput();
      const a = original.apply(x);
      const b = loaded.network.apply(x);
      expect(Buffer.from((await b.data()).buffer)).toEqual(Buffer.from((await a.data()).buffer));
      tf.dispose([x, a, b]);
    } finally {
      loaded.network.dispose();
    }
  });

  it('a searched (child) network: card has the genotype and its FLOPs; reload is bit-identical', async () => {
    const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 2, classes: 4 });
    const genotype = sampleRandomGenotype(space, new Rng(9).fork('random-architecture'));
    const spec: NetworkSpec = { kind: 'child', genotype, origin: 'random' };
    const childRun = join(root, 'child-run');
    await mkdir(childRun);
    await copyFile(join(run, 'config.json'), join(childRun, 'config.json'));
    await writeFile(join(childRun, 'network.json'), JSON.stringify(spec));
    const net = buildNetwork(spec, new Rng(2).fork('init'));
    try {
      net.eval();
      await saveWeights(net, join(childRun, 'model'));
      const r = await runExport({ run: childRun, out: join(root, 'child-exported') });
      expect(r.card.architecture).toEqual({ kind: 'child', origin: 'random', genotype });
      expect(r.card.flops).toBe(genotypeCost(genotype, { inputShape: [1, 16, 16, 16, 2] }).flops);
      expect(r.card.parameters).toBe(countParameters(net));
      // No preprocessed/ copy in this run: the card says so instead of guessing.
      expect(r.card.preprocessing.spacingMm).toBeNull();
      expect(r.card.validation).toBeNull();
      const loaded = await loadExportedModel(join(root, 'child-exported'));
      const x = fixedInput();
      const a = net.apply(x);
      const b = loaded.network.apply(x);
      expect(Buffer.from((await b.data()).buffer)).toEqual(Buffer.from((await a.data()).buffer));
      tf.dispose([x, a, b]);
      loaded.network.dispose();
    } finally {
      net.dispose();
    }
  });

  it('weights.bin decodes with tf.io.decodeWeights against the manifest (what tf.io.loadWeights does in a browser)', async () => {
    const out = join(root, 'exported-tfio');
    await runExport({ run, out });
    const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { weightsManifest: tf.io.WeightsManifestConfig };
    expect(manifest.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    const bin = await readFile(join(out, 'weights.bin'));
    const decoded = tf.io.decodeWeights(
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      manifest.weightsManifest.flatMap((g) => g.weights),
    );
    const vars = original.namedVariables();
    expect(Object.keys(decoded).sort()).toEqual(vars.map((v) => v.path).sort());
    for (const { path, variable } of vars) {
      expect(Array.from(decoded[path]!.dataSync()), path).toEqual(Array.from(variable.dataSync()));
    }
    tf.dispose(Object.values(decoded));
  });

  it.each([
    ['weights.bin missing', 'weights.bin', null, WeightsFormatError, 'loadExportedModel(<dir>): <dir>/weights.bin is missing'],
    ['weights.bin truncated', 'weights.bin', 'truncate', WeightsFormatError, /^loadWeights\(<dir>\): weights.bin has \d+ bytes, the manifest describes \d+$/],
    ['model.json corrupt', 'model.json', '{"weightsManifest": [', WeightsFormatError, 'loadWeights(<dir>/model.json): cannot read the manifest'],
    ['network.json missing', 'network.json', null, ConfigError, 'loadExportedModel(<dir>): <dir>/network.json is missing'],
    ['network.json corrupt', 'network.json', '{"kind":', ConfigError, /^loadExportedModel\(<dir>\): <dir>\/network.json is not valid JSON: /],
  ])('%s → typed error naming the file', async (title, file, content, type, message) => {
    const dir = join(root, `broken-${title.replaceAll(' ', '-')}`);
    await mkdir(dir);
    for (const f of ['model.json', 'weights.bin', 'network.json']) {
      await copyFile(join(f === 'network.json' ? run : join(run, 'model'), f), join(dir, f));
    }
    if (content === null) await rm(join(dir, file));
    else if (content === 'truncate') await writeFile(join(dir, file), (await readFile(join(dir, file))).subarray(0, 100));
    else await writeFile(join(dir, file), content);
    const err = await loadExportedModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    const msg = (err as Error).message.replaceAll(dir, '<dir>');
    if (typeof message === 'string') expect(msg).toBe(message);
    else expect(msg).toMatch(message);
  });

  it('refuses a non-empty --out and missing flags', async () => {
    const err = await runExport({ run, out: run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.replaceAll(run, '<run>')).toMatchInlineSnapshot(
      `"voxnas export --out <run>: the directory exists and is not empty; choose another --out"`,
    );
    const lines: string[] = [];
    expect(await main(['export', '--run', run], { out: () => {}, err: (t) => lines.push(t) })).toBe(2);
    expect(lines[0]).toContain('voxnas export: --out <dir> is required');
  });
});
