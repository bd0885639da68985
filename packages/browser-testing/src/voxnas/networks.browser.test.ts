/**
 * voxnas networks on tfjs's WebGPU backend (SwiftShader here) against the cpu backend in the same
 * page, training in the browser (`trainSteps` of @voxnas/train; the app's training panel is tested in
 * examples/web), and an exported searched network
 * against Node's prediction. One file, so tfjs compiles each WGSL pipeline once for all of them.
 * Fixtures and Node references come from `scripts/make-fixtures.ts` (global setup).
 */
import { Rng } from '@voxnas/core';
import { deserializeWeights, initBackend, type Network, type WeightsFile } from '@voxnas/ops';
import { Supernet, buildChild, createSearchSpace, parseGenotype, type SamplerConfig } from '@voxnas/supernet';
import { UNet, type UNetOptions } from '@voxnas/unet';
import { beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, record, resetRecord, tf, useBackend, type BrowserBackend } from '../page/index.js';
import { FIXTURE_FILES, PHANTOM, TRAIN_UNET } from './fixture-spec.js';
import { readArchitecture, trainSteps } from '@voxnas/train';
import { caseFromNifti } from './training.js';

/** |loss_webgpu − loss_cpu| / |loss_cpu| allowed (float32). */
const LOSS_TOLERANCE = 1e-5;
/**
 * max |g_webgpu − g_cpu| / max(max |g_cpu|, 1e-3) allowed for every gradient tensor (float32). The
 * floor: an α gradient is a sum of large terms that cancel (measured: one of max 1.2e-5 differs by
 * 1.7e-8, 1.4e-3 of itself) — rounding of its terms, not of the result.
 */
const GRAD_TOLERANCE = 1e-4;

function gradDiff(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return got.length === want.length && !Number.isNaN(diff) ? diff / scale : Infinity;
}

const fixture = (name: string) => readArtifact(`fixtures/${name}`);

beforeAll(async () => {
  await resetRecord('voxnas-networks');
  const choice = await initBackend({ backend: 'webgpu', logger: () => {} });
  expect(choice.backend).toBe('webgpu');
});

function seededTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

/** Loss and every gradient of one step, read back (asynchronously). */
async function stepValues(net: Network, vars: tf.Variable[], loss: () => tf.Scalar): Promise<{ loss: number; grads: Array<Float32Array | null> }> {
  await readArchitecture(net);
  const { value, grads } = tf.variableGrads(loss, vars);
  // A sampled supernet's inactive operators get no gradient: null, compared as such.
  const list = vars.map((v) => grads[v.name] ?? null);
  const l = new Float32Array(await value.data());
  const g = await Promise.all(list.map(async (t) => (t === null ? null : new Float32Array(await t.data()))));
  tf.dispose([value, ...list.filter((t): t is tf.Tensor => t !== null)]);
  return { loss: l[0]!, grads: g };
}

interface Parity {
  readonly loss: number;
  readonly lossRel: number;
  readonly worstGrad: number;
  readonly grads: number;
}

/**
 * Builds the same network (same seeds) on cpu and on webgpu, runs one training step's loss and
 * gradients on each, and compares. Nothing moves between backends.
 */
async function compareStep(build: () => { net: Network; vars: () => tf.Variable[]; loss: (net: Network) => tf.Scalar; dispose: () => void }): Promise<Parity> {
  const results: Array<{ loss: number; grads: Array<Float32Array | null> }> = [];
  for (const backend of ['cpu', 'webgpu'] as BrowserBackend[]) {
    await useBackend(backend);
    const b = build();
    results.push(await stepValues(b.net, b.vars(), () => b.loss(b.net)));
    b.dispose();
  }
  const [cpu, gpu] = results as [(typeof results)[0], (typeof results)[0]];
  expect(gpu.grads.map((g) => g === null)).toEqual(cpu.grads.map((g) => g === null));
  const diffs = gpu.grads.flatMap((g, i) => (g === null ? [] : [gradDiff(g, cpu.grads[i]!)]));
  return { loss: cpu.loss, lossRel: Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss), worstGrad: Math.max(...diffs), grads: diffs.length };
}

describe('a training step on webgpu equals the cpu backend', () => {
  it.each<{ name: string; options: Omit<UNetOptions, 'rng'>; shape: [number, number, number, number, number] }>([
    { name: 'U-Net: instance norm, transposed conv', options: { levels: 2, baseChannels: 4 }, shape: [1, 4, 6, 8, 1] },
    {
      name: 'U-Net: group norm, trilinear, 3 classes, 2 channels, batch 2',
      options: { levels: 2, baseChannels: 4, norm: 'group', groups: 2, upsampling: 'trilinear', classes: 3, inputChannels: 2 },
      shape: [2, 6, 4, 10, 2],
    },
  ])('$name', async ({ name, options, shape }) => {
    const r = await compareStep(() => {
      const rng = new Rng(`browser unet ${shape.join()}`);
      const net = new UNet({ ...options, rng: rng.fork('init') });
      const classes = net.config.classes;
      const data = rng.fork('data');
      const x = seededTensor(data, shape) as tf.Tensor5D;
      const n = shape.slice(0, 4).reduce((a, b) => a * b, 1);
      const labels = tf.tensor1d(Int32Array.from({ length: n }, () => data.int(0, classes)), 'int32');
      const onehot = tf.tidy(() => tf.reshape(tf.oneHot(labels, classes), [...shape.slice(0, 4), classes]));
      return {
        net,
        vars: () => net.trainableVariables(),
        loss: (m) => tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(m.apply(x))), -1))) as tf.Scalar,
        dispose: () => {
          net.dispose();
          tf.dispose([x, labels, onehot]);
        },
      };
    });
    await record('voxnas-networks', { name, ...r });
    expect(r.lossRel).toBeLessThanOrEqual(LOSS_TOLERANCE);
    expect(r.worstGrad).toBeLessThanOrEqual(GRAD_TOLERANCE);
  });

  it.each<{ name: string; sampler: SamplerConfig }>([
    { name: 'supernet, full sampler (every candidate)', sampler: { kind: 'full' } },
    { name: 'supernet, Gumbel sampler (1 path per edge)', sampler: { kind: 'gumbel', k: 1 } },
    { name: 'supernet, Gumbel sampler (2 paths per edge)', sampler: { kind: 'gumbel', k: 2 } },
  ])('$name: loss, weight and α gradients', async ({ name, sampler }) => {
    const active: Array<Readonly<Record<string, readonly number[]>>> = [];
    const r = await compareStep(() => {
      const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, classes: 3 });
      const net = new Supernet(space, { rng: new Rng('browser supernet'), sampler });
      const data = new Rng('browser supernet data');
      const shape = [1, 6, 8, 10, 1];
      const x = seededTensor(data, shape) as tf.Tensor5D;
      const target = seededTensor(data, [1, 6, 8, 10, 3]);
      return {
        net,
        vars: () => [...net.weightVariables(), ...net.archVariables()],
        loss: (m) => {
          const l = tf.mean(tf.square(tf.sub(m.apply(x), target))) as tf.Scalar;
          active.push(net.lastActive);
          return l;
        },
        dispose: () => {
          net.dispose();
          tf.dispose([x, target]);
        },
      };
    });
    await record('voxnas-networks', { name, ...r });
    // The same paths were sampled on both backends (the sampler draws in JS from the seeded Rng).
    expect(active[1]).toEqual(active[0]);
    expect(r.lossRel).toBeLessThanOrEqual(LOSS_TOLERANCE);
    expect(r.worstGrad).toBeLessThanOrEqual(GRAD_TOLERANCE);
  });
});

describe('training in the browser', () => {
  it('20 steps on the phantom case lower the loss (webgpu) and leave no tensor; step time against cpu in the page and in Node', async () => {
    await useBackend('webgpu');
    const data = caseFromNifti(await fixture(FIXTURE_FILES.image), await fixture(FIXTURE_FILES.label));
    expect(data.x.shape).toEqual([1, PHANTOM.shape[2], PHANTOM.shape[1], PHANTOM.shape[0], 1]);
    const before = tf.memory().numTensors;
    const net = new UNet({ ...TRAIN_UNET, rng: new Rng('train unet') });
    const reports = await trainSteps({ net, data, steps: 20 });
    const losses = reports.map((r) => r.loss);
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    const first = losses.slice(0, 3).reduce((a, b) => a + b, 0) / 3;
    const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
    expect(last).toBeLessThan(0.8 * first);
    net.dispose();
    tf.dispose([data.x, data.y]);
    expect(tf.memory().numTensors).toBe(before - 2);

    // The same network's step on cpu in this page (3 steps) for the timing comparison.
    await useBackend('cpu');
    const cpuData = caseFromNifti(await fixture(FIXTURE_FILES.image), await fixture(FIXTURE_FILES.label));
    const cpuNet = new UNet({ ...TRAIN_UNET, rng: new Rng('train unet') });
    const cpuReports = await trainSteps({ net: cpuNet, data: cpuData, steps: 3 });
    cpuNet.dispose();
    tf.dispose([cpuData.x, cpuData.y]);
    await useBackend('webgpu');
    // Same weights and data: the first loss agrees across backends.
    expect(Math.abs(cpuReports[0]!.loss - losses[0]!) / losses[0]!).toBeLessThanOrEqual(LOSS_TOLERANCE);

    const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
    const node = JSON.parse(new TextDecoder().decode(await fixture(FIXTURE_FILES.nodeTiming))) as Record<string, number | string>;
    const row = {
      name: 'U-Net step (2 levels, 4 base channels, 4 classes) on the 12×12×8 phantom',
      losses,
      webgpuFirstStepMs: reports[0]!.ms,
      webgpuStepMs: median(reports.slice(1).map((r) => r.ms)),
      pageCpuStepMs: median(cpuReports.slice(1).map((r) => r.ms)),
      ...node,
    };
    await record('voxnas-timing', row);
    console.log(JSON.stringify(row));
  });
});

describe('an exported searched network', () => {
  it("predicts on webgpu what Node predicted (softmax within 1e-4, same labels)", async () => {
    await useBackend('webgpu');
    const genotype = parseGenotype(new TextDecoder().decode(await fixture(FIXTURE_FILES.genotype)));
    const file = JSON.parse(new TextDecoder().decode(await fixture(FIXTURE_FILES.weightsJson))) as WeightsFile;
    const weights = await fixture(FIXTURE_FILES.weightsBin);
    const child = buildChild(createSearchSpace({ ...genotype.macro }), genotype, { rng: new Rng('unrelated init') });
    deserializeWeights(child, file, weights);
    child.eval();
    const data = caseFromNifti(await fixture(FIXTURE_FILES.image), await fixture(FIXTURE_FILES.label));
    const probs = tf.tidy(() => tf.softmax(child.apply(data.x)));
    const got = new Float32Array(await probs.data());
    const meta = JSON.parse(new TextDecoder().decode(await fixture(FIXTURE_FILES.predictionMeta))) as { shape: number[] };
    const bytes = await fixture(FIXTURE_FILES.prediction);
    const want = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(probs.shape).toEqual(meta.shape);
    tf.dispose([probs, data.x, data.y]);
    child.dispose();
    let maxAbs = 0;
    let sameLabel = 0;
    const c = meta.shape[4]!;
    for (let v = 0; v < got.length / c; v++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < c; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(got[v * c + k]! - want[v * c + k]!));
        if (got[v * c + k]! > got[v * c + a]!) a = k;
        if (want[v * c + k]! > want[v * c + b]!) b = k;
      }
      if (a === b) sameLabel++;
    }
    await record('voxnas-networks', { name: 'exported searched network vs Node', maxAbsProbDiff: maxAbs, voxels: got.length / c, sameLabel });
    expect(maxAbs).toBeLessThanOrEqual(1e-4);
    expect(sameLabel).toBe(got.length / c);
  });
});
