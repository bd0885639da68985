// The inference path is browser-safe: bundled by esbuild for the browser it imports no Node built-in, and
// the bundle runs in a context without Node's globals (no process, Buffer, require): weights loaded into a
// rebuilt network, a NIfTI encoded and decoded in memory (gzip by fflate), sliding-window inference —
// with the same labels as the same code run from source in Node.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { createVolume, decodeNifti, encodeNifti, zScore } from '@voxnas/volume';
import { serializeWeights } from '@voxnas/ops';
import { UNet } from '@voxnas/unet';
import { predictCase } from '@voxnas/train';

const ENTRY = fileURLToPath(new URL('./inference-path.entry.ts', import.meta.url));
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

async function bundle(entry = ENTRY): Promise<{ code: string; builtins: string[]; errors: string[] }> {
  try {
    // platform 'browser': a Node built-in is an error unless the importing package's "browser" field
    // maps it away (tfjs-core's platform_node, seedrandom's crypto); externals are listed to be sure.
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'voxnas',
      write: false,
      metafile: true,
      conditions: ['@voxnas/source'],
      logLevel: 'silent',
    });
    const builtins = Object.entries(r.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.external && (BUILTINS.has(i.path) || i.path.startsWith('node:'))).map((i) => `${i.path} (${file})`),
    );
    return { code: r.outputFiles[0]!.text, builtins, errors: [] };
  } catch (e) {
    const errors = ((e as { errors?: Array<{ text: string; location?: { file: string } }> }).errors ?? []).map(
      (m) => `${m.text} (${m.location?.file ?? '?'})`,
    );
    return { code: '', builtins: [], errors: errors.length ? errors : [String(e)] };
  }
}

/** The in-page computation: a seeded 2-level U-Net gets weights from bytes, segments an encoded NIfTI. */
const PAGE_SCRIPT = `(async () => {
  const v = voxnas;
  await v.initBackend({ logger: () => {} });
  const { shape, data, affine, weightsFile, weightsData } = input;
  const { volume: image } = v.decodeNifti(v.encodeNifti(v.createVolume({ data: Float32Array.from(data), shape, affine }), { gzip: true }));
  const net = new v.UNet({ levels: 2, baseChannels: 3, rng: new v.Rng(99) }); // other initial weights …
  v.deserializeWeights(net, weightsFile, Uint8Array.from(weightsData)); // … replaced by the exported ones
  net.eval();
  const labels = await v.predictCase(image, (x) => net.apply(x), { preprocess: v.zScore, windowSize: [8, 6, 4], overlap: 0.5 });
  net.dispose();
  return { labels: Array.from(labels.data), hasProcess: typeof process !== 'undefined' };
})()`;

describe('browser-safe inference path', () => {
  it('bundles for the browser with no Node built-in', async () => {
    const { code, builtins, errors } = await bundle();
    expect(errors).toEqual([]);
    expect(builtins).toEqual([]);
    expect(code.length).toBeGreaterThan(100_000);
  });

  it('the check is real: a /node entry in the bundle fails it, naming the built-in', async () => {
    const { errors } = await bundle(fileURLToPath(new URL('../../../packages/volume/src/node/index.ts', import.meta.url)));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/"node:fs\/promises"|"node:fs"|"node:zlib"/);
  });

  it('runs without Node globals and gives the labels the source gives in Node', async () => {
    const { code } = await bundle();
    const rng = new Rng('inference path');
    const shape = [13, 9, 7] as const;
    const data = Float32Array.from({ length: 13 * 9 * 7 }, (_, i) => (i % 13 > 6 ? 2 : 0) + 0.3 * rng.normal());
    const affine = [0, -1.5, 0, 10, 2, 0, 0, -4, 0, 0, 1.2, 7, 0, 0, 0, 1];
    const net = new UNet({ levels: 2, baseChannels: 3, rng: new Rng(5) });
    net.eval();
    const { file: weightsFile, data: weightsBytes } = serializeWeights(net);
    const { volume: image } = decodeNifti(encodeNifti(createVolume({ data, shape, affine }), { gzip: true }));
    const want = await predictCase(image, (x) => net.apply(x), { preprocess: zScore, windowSize: [8, 6, 4], overlap: 0.5 });
    net.dispose();
    expect(tf.memory().numTensors).toBe(0);

    // A bare context: ECMAScript built-ins plus the few web APIs a browser has (no process, Buffer, require).
    const context = vm.createContext({
      console,
      setTimeout,
      clearTimeout,
      queueMicrotask,
      TextEncoder,
      TextDecoder,
      performance,
      navigator: { userAgent: 'voxnas-vm', hardwareConcurrency: 2 },
      document: {}, // tfjs takes a window with a document for a browser (its browser platform)
      input: { shape, data: Array.from(data), affine, weightsFile, weightsData: Array.from(weightsBytes) },
    });
    vm.runInContext('var window = globalThis; var self = globalThis;', context);
    vm.runInContext(code, context, { filename: 'inference-path.bundle.js' });
    const got = (await vm.runInContext(PAGE_SCRIPT, context)) as { labels: number[]; hasProcess: boolean };
    expect(got.hasProcess).toBe(false);
    expect(got.labels).toEqual(Array.from(want.data));
    expect(new Set(got.labels).size).toBe(2); // a real segmentation, not a constant map
  });
});
