/**
 * Peak tensor memory of ONE training step (forward + backward, gradients of every trained variable)
 * at a fixed patch, measured with `tf.profile` (`peakBytes`: the high-water mark of
 * `tf.memory().numBytes` during the step) for:
 *   (a) the supernet with the `full` sampler (DARTS: every candidate runs), for 2, 4 and 6 candidates;
 *   (b) the supernet with `gumbel` k = 1 (and k = 2) — only sampled paths run;
 *   (c) the child derived from the supernet's α (top-2 edges per node);
 *   (d) the U-Net: same levels and width as the space, and the `matched` preset.
 * "step" = peak − bytes held before the step (variables, inputs): the activations and gradients the
 * step itself needs. Gumbel rows are the mean over STEPS sampled steps (paths differ per step).
 *
 * Peer: the same U-Net (d, same width) written with torch.nn.functional, timed for one forward +
 * backward in PyTorch 1.13 CPU in the same run (imports excluded) — the time ratio is printed.
 *
 * Then the memory estimator (docs/memory.md) against the measurement: estimated vs measured peak tensor
 * bytes of a search step (Gumbel k=1 at its worst draw) and a heaviest-child training step at two small
 * patches (BENCH_ESTIMATE_PATCHES, default 16x16x16;16x32x32).
 *
 * Then activation recomputation (bench/recompute-rows.ts; alone: pnpm bench:recompute): peak tensor bytes,
 * process peak resident size and time of a search step and a heaviest-child step at two patch sizes,
 * without recomputation, per cell and per edge operator, and the estimator's numbers at the paper's size.
 *
 * Run: pnpm bench (env: BENCH_PATCH=16, BENCH_LEVELS=3, BENCH_CHANNELS=8, BENCH_STEPS=3).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend, type Network } from '@voxnas/ops';
import { medianMs, runPythonReference, pythonHas } from '@voxnas/testing';
import { UNET_PRESETS, UNet } from '@voxnas/unet';
import { Rng } from '@voxnas/core';
import { currentBackend, formatBytes } from '@voxnas/ops';
import {
  buildChild,
  createSearchSpace,
  DEFAULT_CANDIDATES,
  estimateChildStepMemory,
  estimateSearchStepMemory,
  gumbelSampler,
  heaviestChild,
  Supernet,
  type Sampler,
  type SamplerConfig,
} from '../src/index.js';
import { recomputeRows } from './recompute-rows.js';

const P = Number(process.env.BENCH_PATCH ?? 16);
const LEVELS = Number(process.env.BENCH_LEVELS ?? 3);
const C = Number(process.env.BENCH_CHANNELS ?? 8);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const SHAPE: [number, number, number, number, number] = [1, P, P, P, 1];

await initBackend({ logger: (l) => console.log(l) });

interface Row {
  name: string;
  candidates: number | string;
  params: number;
  stepBytes: number;
  peakBytes: number;
  ms: number;
}

function input(seed: number): { x: tf.Tensor5D; y: tf.Tensor5D } {
  const rng = new Rng(seed);
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), SHAPE) as tf.Tensor5D;
  const lab = Int32Array.from({ length: n }, () => (rng.float() < 0.3 ? 1 : 0));
  const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(lab, 'int32'), 2), [1, P, P, P, 2])) as tf.Tensor5D;
  return { x, y };
}

async function measure(net: Network, vars: tf.Variable[], steps: number): Promise<{ stepBytes: number; peakBytes: number; ms: number }> {
  const { x, y } = input(1);
  let step = 0;
  let peak = 0;
  let ms = 0;
  for (let s = 0; s < steps; s++) {
    const before = tf.memory().numBytes;
    const t = performance.now();
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar,
        vars,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    ms += performance.now() - t;
    step += info.peakBytes - before;
    peak += info.peakBytes;
  }
  tf.dispose([x, y]);
  return { stepBytes: step / steps, peakBytes: peak / steps, ms: ms / steps };
}

const rows: Row[] = [];
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const candidateSets: Record<number, string[]> = {
  2: ['zero', 'conv-3x3x3'],
  4: ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1'],
  6: [...DEFAULT_CANDIDATES['encoder-normal']],
};
const spaceOf = (k: number) =>
  createSearchSpace({
    levels: LEVELS,
    baseChannels: C,
    candidates: { 'encoder-normal': candidateSets[k]!, reduction: candidateSets[k]!, 'decoder-normal': candidateSets[k]!, expansion: candidateSets[k]! },
  });

async function supernetRow(name: string, k: number, sampler: SamplerConfig, steps: number): Promise<Supernet> {
  const net = new Supernet(spaceOf(k), { rng: new Rng(7), sampler, alphaInitStd: 1 });
  const m = await measure(net, [...net.weightVariables(), ...net.archVariables()], steps);
  rows.push({ name, candidates: k, params: net.parameterCount(), ...m });
  console.log(`  measured ${name} (${k} candidates)`);
  return net;
}

console.log(`patch ${SHAPE.join('×')}, levels ${LEVELS}, base channels ${C}, 3 nodes, ${STEPS} step(s) per gumbel row`);
for (const k of [2, 4, 6]) (await supernetRow('supernet full', k, { kind: 'full' }, 1)).dispose();
const gumbel = await supernetRow('supernet gumbel k=1', 6, { kind: 'gumbel', k: 1 }, STEPS);
(await supernetRow('supernet gumbel k=2', 6, { kind: 'gumbel', k: 2 }, STEPS)).dispose();
const child = buildChild(gumbel.space, gumbel.deriveGenotype({ topK: 2 }), { rng: new Rng(7) });
rows.push({ name: 'derived child (top-2)', candidates: 1, params: child.parameterCount(), ...(await measure(child, child.trainableVariables(), 1)) });
child.dispose();
gumbel.dispose();
const unetSame = new UNet({ rng: new Rng(7), levels: LEVELS, baseChannels: C });
const unetSameRow = { name: `U-Net (levels ${LEVELS}, width ${C})`, candidates: '-', params: unetSame.parameterCount(), ...(await measure(unetSame, unetSame.trainableVariables(), 1)) };
rows.push(unetSameRow);
const unetConfig = unetSame.config;
unetSame.dispose();
if (P % 8 === 0) {
  const matched = new UNet({ ...UNET_PRESETS.matched, rng: new Rng(7) });
  rows.push({ name: 'U-Net preset "matched"', candidates: '-', params: matched.parameterCount(), ...(await measure(matched, matched.trainableVariables(), 1)) });
  matched.dispose();
}

const childRow = rows.find((r) => r.name.startsWith('derived child'))!;
console.log('\n| network | candidates/edge | params | step peak MiB | × child | absolute peak MiB | ms/step |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.candidates} | ${r.params.toLocaleString('en-US')} | ${mb(r.stepBytes)} | ${(r.stepBytes / childRow.stepBytes).toFixed(2)} | ${mb(r.peakBytes)} | ${r.ms.toFixed(0)} |`,
  );
}
const g1 = rows.find((r) => r.name === 'supernet gumbel k=1')!;
console.log(`\ngumbel k=1 / child step peak: ${(g1.stepBytes / childRow.stepBytes).toFixed(2)} (target ≤ 1.5)`);
const full = rows.filter((r) => r.name === 'supernet full');
console.log(`full step peak by candidates: ${full.map((r) => `${r.candidates}: ${mb(r.stepBytes)} MiB`).join(', ')}`);

// --- the paper's scalability claim: a sampled supernet step against the derived child's step -------
// Same space (6 candidates), width and patch; median wall time of TIME_REPS steps (forward + backward of
// every trained variable; α included for the supernet) after one warm-up step, without tf.profile.
{
  const TP = Number(process.env.BENCH_TIME_PATCH ?? 32);
  const REPS = Number(process.env.BENCH_TIME_REPS ?? 7);
  const shape: [number, number, number, number, number] = [2, TP, TP, TP, 1];
  const rng = new Rng(3);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape) as tf.Tensor5D;
  const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, () => (rng.float() < 0.3 ? 1 : 0)), 'int32'), 2), [...shape.slice(0, 4), 2])) as tf.Tensor5D;
  const stepOf = (net: Network, vars: tf.Variable[]) => () => {
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const timeRows: Array<{ name: string; ms: number; peak: number }> = [];
  const peakOf = async (f: () => void) => (await tf.profile(f)).peakBytes;
  let derived: ReturnType<Supernet['deriveGenotype']> | undefined;
  // The peer rows run the same sampler without its host-known forward values, so every path is
  // multiplied by its weight and summed on the device (what a sampled node did before `mixPaths`).
  const unfused = (sampler: Sampler): Sampler => (logits, rng, tau) => {
    const { weights, active } = sampler(logits, rng, tau);
    return { weights, active };
  };
  for (const [k, fused] of [[1, true], [2, true], [1, false], [2, false]] as const) {
    const sampler = fused ? ({ kind: 'gumbel', k } as const) : unfused(gumbelSampler({ k }));
    const net = new Supernet(spaceOf(6), { rng: new Rng(7), sampler, alphaInitStd: 1 });
    const step = stepOf(net, [...net.weightVariables(), ...net.archVariables()]);
    derived ??= net.deriveGenotype({ topK: 2 });
    const peaks: number[] = [];
    for (let r = 0; r < 3; r++) peaks.push(await peakOf(step));
    timeRows.push({ name: `supernet gumbel k=${k}${fused ? '' : ', unfused sum'}`, ms: medianMs(step, REPS), peak: peaks.reduce((a, b) => a + b, 0) / peaks.length });
    net.dispose();
  }
  const child = buildChild(spaceOf(6), derived!, { rng: new Rng(7) });
  const childStep = stepOf(child, child.trainableVariables());
  timeRows.push({ name: 'derived child (top-2)', ms: medianMs(childStep, REPS), peak: await peakOf(childStep) });
  child.dispose();
  tf.dispose([x, y]);
  const c = timeRows[timeRows.length - 1]!;
  console.log(`
scalability: batch 2 × ${TP}³, levels ${LEVELS}, width ${C}, 6 candidates; median of ${REPS} steps`);
  console.log('| network | ms/step | × child time | peak MiB | × child memory |');
  console.log('|---|---|---|---|---|');
  for (const r of timeRows) console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${(r.ms / c.ms).toFixed(2)} | ${mb(r.peak)} | ${(r.peak / c.peak).toFixed(2)} |`);
  for (const r of timeRows.slice(0, 2)) {
    console.log(`${r.name} / child: time ${(r.ms / c.ms).toFixed(2)}× (goal ≤ 1.3), peak memory ${(r.peak / c.peak).toFixed(2)}× (goal ≤ 1.5)`);
  }
  for (const k of [0, 1]) {
    const [f, u] = [timeRows[k]!, timeRows[k + 2]!];
    console.log(`${f.name}: fused weighted sum ${(f.ms / u.ms).toFixed(2)}× the time, ${(f.peak / u.peak).toFixed(2)}× the peak of the per-path products (${u.name})`);
  }
}

// --- the memory estimator against the measurement ---------------------------------------------------
// estimateSearchStepMemory (Gumbel k=1 at its worst draw, run exactly by a fixed-path sampler) and
// estimateChildStepMemory (the heaviest child) against the tf.profile peak of one step (optimiser state
// excluded on both sides), at two small patches (env BENCH_ESTIMATE_PATCHES, z×y×x;… ).
{
  const patches = (process.env.BENCH_ESTIMATE_PATCHES ?? '16x16x16;16x32x32').split(';').map((p) => p.split('x').map(Number) as [number, number, number]);
  const space = spaceOf(6);
  const fixedPaths = (active: Readonly<Record<string, readonly number[]>>): Sampler => {
    const labels = [...new Set(space.edges.map((e) => e.label))];
    let i = 0;
    return (logits) => {
      const a = active[labels[i++ % labels.length]!]!;
      const w = new Float32Array(logits.size);
      for (const j of a) w[j] = 1 / a.length;
      return { weights: tf.add(tf.mul(logits, 0), tf.tensor1d(w)) as tf.Tensor1D, active: a };
    };
  };
  const peakOf = async (net: Network, vars: tf.Variable[], shape: [number, number, number, number, number]) => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor5D;
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, 2, 'int32', 2), 2));
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const peak = info.peakBytes;
    tf.dispose([x, y]);
    return peak;
  };
  console.log(`\nmemory estimate vs measured peak tensor bytes (levels ${LEVELS}, width ${C}, 6 candidates, batch 1, kernels ${currentBackend()?.native ? 'native' : 'js'})`);
  console.log('| step | patch z×y×x | estimate | measured | estimate / measured |');
  console.log('|---|---|---|---|---|');
  for (const [z, y, x] of patches) {
    const shape: [number, number, number, number, number] = [1, z, y, x, 1];
    const kernels = currentBackend()?.native ? 'native' : 'js';
    const search = estimateSearchStepMemory(space, { inputShape: shape, sampler: { kind: 'gumbel', k: 1 }, optimizer: 'none', kernels });
    const net = new Supernet(space, { rng: new Rng(7), sampler: fixedPaths(search.active) });
    const searchPeak = await peakOf(net, [...net.weightVariables(), ...net.archVariables()], shape);
    net.dispose();
    const genotype = heaviestChild(space, shape);
    const childEstimate = estimateChildStepMemory(genotype, { inputShape: shape, optimizer: 'none', kernels });
    const child = buildChild(space, genotype, { rng: new Rng(7) });
    const childPeak = await peakOf(child, child.trainableVariables(), shape);
    child.dispose();
    for (const [name, e, m] of [
      ['search step, gumbel k=1 (worst draw)', search.totalBytes, searchPeak],
      ['heaviest child training step', childEstimate.totalBytes, childPeak],
    ] as const) {
      console.log(`| ${name} | ${z}×${y}×${x} | ${formatBytes(e)} | ${formatBytes(m)} | ${(e / m).toFixed(2)} |`);
    }
  }
}

// --- activation recomputation: with and without, one process per row ---------------------------------
recomputeRows(LEVELS, C);

// --- peer: the same U-Net in PyTorch (time of one forward + backward) ----------------------------
if (pythonHas('torch')) {
  const TORCH = `
import json, sys, time, torch, torch.nn as nn
torch.manual_seed(0)
d = json.load(sys.stdin)
L, C, P = d['levels'], d['channels'], d['patch']
def block(ci, co):
    return nn.Sequential(nn.Conv3d(ci, co, 3, padding=1, bias=False), nn.InstanceNorm3d(co, affine=True), nn.ReLU(),
                         nn.Conv3d(co, co, 3, padding=1, bias=False), nn.InstanceNorm3d(co, affine=True), nn.ReLU())
class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        ch = [C * 2 ** l for l in range(L)]
        self.enc = nn.ModuleList([block(1 if l == 0 else ch[l - 1], ch[l]) for l in range(L)])
        self.up = nn.ModuleList([nn.ConvTranspose3d(ch[l + 1], ch[l], 2, stride=2, bias=False) for l in range(L - 1)])
        self.dec = nn.ModuleList([block(2 * ch[l], ch[l]) for l in range(L - 1)])
        self.head = nn.Conv3d(ch[0], 2, 1)
    def forward(self, x):
        skips = []
        for l in range(L):
            x = self.enc[l](x)
            if l < L - 1:
                skips.append(x); x = nn.functional.max_pool3d(x, 2)
        for l in range(L - 2, -1, -1):
            x = self.dec[l](torch.cat([skips[l], self.up[l](x)], 1))
        return self.head(x)
net = UNet()
x = torch.randn(1, 1, P, P, P)
y = torch.randint(0, 2, (1, P, P, P))
def step():
    net.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()
step()
ts = []
for _ in range(5):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
print(json.dumps({'ms': 1000 * sorted(ts)[2], 'params': sum(p.numel() for p in net.parameters())}))
`;
  const peer = runPythonReference<{ ms: number; params: number }>(TORCH, { levels: unetConfig.levels, channels: unetConfig.baseChannels, patch: P });
  console.log(
    `\npeer: U-Net (levels ${LEVELS}, width ${C}) training step — voxnas ${unetSameRow.ms.toFixed(0)} ms vs PyTorch 1.13 CPU ${peer.ms.toFixed(1)} ms: ratio ${(unetSameRow.ms / peer.ms).toFixed(1)}× (params ${unetSameRow.params} vs ${peer.params})`,
  );
} else {
  console.log('\npeer: /usr/bin/python3 has no torch; PyTorch comparison skipped');
}
