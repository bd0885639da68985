/**
 * Node side of the browser training tests: builds the fixtures the page cannot build itself
 * (@voxnas/datasets is Node-only) and the Node reference results, into `artifacts/fixtures/`.
 *
 * - `phantom-image.nii.gz`, `phantom-label.nii.gz`: one phantom case (generatePhantomCase, seed 7,
 *   12×12×8 voxels, 1 modality, labels 0–3).
 * - `searched/genotype.json`, `searched/model.json`, `searched/weights.bin`: a searched network —
 *   a tiny supernet trained jointly for a few steps on the phantom, its derived genotype, the child
 *   network built from it and trained a few steps — exported as voxnas exports weights (tfjs
 *   weights manifest + one binary file).
 * - `searched/node-prediction.bin` (+ `.json`): the child's softmax probabilities for the phantom
 *   image, computed here on the backend `initBackend()` picks in Node.
 * - `node-timing.json`: the time of one U-Net training step (the browser's 20-step network) in Node,
 *   on the cpu backend with and without @voxnas/kernels.
 *
 * Run by `src/global-setup.ts` (`node --import tsx --conditions=@voxnas/source scripts/make-fixtures.ts <dir>`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { generatePhantomCase } from '@voxnas/datasets';
import { initBackend, serializeWeights, WEIGHTS_BIN, WEIGHTS_JSON } from '@voxnas/ops';
import { Supernet, buildChild, createSearchSpace, stringifyGenotype } from '@voxnas/supernet';
import { caseTensors, trainSteps, type CaseTensors } from '@voxnas/train';
import { UNet } from '@voxnas/unet';
import { encodeNifti } from '@voxnas/volume';
import { FIXTURE_VERSION, PHANTOM, SEARCH_SPACE, TRAIN_UNET } from '../src/voxnas/fixture-spec.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-fixtures.ts <output dir>');
mkdirSync(join(out, 'searched'), { recursive: true });

await initBackend({ logger: (line) => console.error(`make-fixtures: ${line}`) });

// The phantom case.
const { image, label } = generatePhantomCase(new Rng(PHANTOM.seed), { shape: [...PHANTOM.shape], modalities: 1 });
writeFileSync(join(out, 'phantom-image.nii.gz'), encodeNifti(image, { gzip: true }));
writeFileSync(join(out, 'phantom-label.nii.gz'), encodeNifti(label, { gzip: true }));
let phantom: CaseTensors = caseTensors(image, label);

// A searched network: joint search steps on the supernet, derive, build the child, train it a little.
const space = createSearchSpace({ ...SEARCH_SPACE });
const supernet = new Supernet(space, { rng: new Rng('fixture search'), sampler: { kind: 'gumbel', k: 1 } });
await trainSteps({ net: supernet, data: phantom, steps: 3 });
const genotype = supernet.deriveGenotype();
supernet.dispose();
const child = buildChild(createSearchSpace({ ...genotype.macro }), genotype, { rng: new Rng('fixture child') });
const childLosses = (await trainSteps({ net: child, data: phantom, steps: 3 })).map((r) => r.loss);
const { file, data } = serializeWeights(child);
writeFileSync(join(out, 'searched', 'genotype.json'), stringifyGenotype(genotype));
writeFileSync(join(out, 'searched', WEIGHTS_JSON), JSON.stringify(file));
writeFileSync(join(out, 'searched', WEIGHTS_BIN), data);
child.eval();
const probs = tf.tidy(() => tf.softmax(child.apply(phantom.x)));
const probValues = new Float32Array(await probs.data());
writeFileSync(join(out, 'searched', 'node-prediction.bin'), new Uint8Array(probValues.buffer));
writeFileSync(
  join(out, 'searched', 'node-prediction.json'),
  JSON.stringify({ shape: probs.shape, backend: tf.getBackend(), trainLosses: childLosses }),
);
probs.dispose();
child.dispose();

// Node's time for one step of the browser's 20-step U-Net, per CPU kernel set (the page's loop).
const timing: Record<string, number | string> = {};
for (const backend of ['auto', 'cpu'] as const) {
  const choice = await initBackend({ backend, logger: () => {} });
  tf.dispose([phantom.x, phantom.y]);
  phantom = caseTensors(image, label); // on this backend
  const net = new UNet({ ...TRAIN_UNET, rng: new Rng('train unet') });
  const times = (await trainSteps({ net, data: phantom, steps: 3 })).map((r) => r.ms);
  net.dispose();
  const steady = times.slice(1).sort((a, b) => a - b);
  timing[choice.native ? 'nodeCpuNativeMs' : backend === 'cpu' ? 'nodeCpuJsMs' : 'nodeCpuAutoMs'] = steady[Math.floor(steady.length / 2)]!;
  timing[`${backend}Summary`] = choice.summary;
}
writeFileSync(join(out, 'node-timing.json'), JSON.stringify(timing));
tf.dispose([phantom.x, phantom.y]);
writeFileSync(join(out, 'VERSION'), FIXTURE_VERSION);
console.error(`make-fixtures: wrote ${out}`);
