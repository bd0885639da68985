/**
 * @voxnas/train speed vs a Python peer (NumPy + PyTorch 1.13 CPU), measured in the same run. Python
 * times are taken inside Python (start-up and imports excluded). Medians and minima of REPS runs.
 *
 * 1. Sliding-window blending alone: identity predict on a 96×96×64 volume, 32³ windows, overlap 0.5,
 *    Gaussian map — voxnas `slidingWindowInference` vs the same loop in NumPy (MONAI-style
 *    `out[sl] += w·patch; norm[sl] += w`).
 * 2. Sliding-window with a small conv net (conv 3³ 1→8, ReLU, conv 1³ 8→3, softmax), 64×64×48
 *    volume, 32³ windows, overlap 0.5, 2 windows per batch — voxnas (tfjs cpu) vs PyTorch.
 * 3. One training step of that net (batch 2 × 32³, cross-entropy, SGD Nesterov) — `Trainer.step`
 *    vs PyTorch forward/backward/step.
 *
 * Ratio = voxnas / peer (< 1: voxnas faster). Run: pnpm bench (env BENCH_REPS, default 3; the
 * blending case runs 2×REPS after 8 warm-ups, since its JS loops take several runs to be optimised).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Conv3d, ReLU, Sequential } from '@voxnas/ops';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { runPythonReference } from '@voxnas/testing';
import { Trainer, slidingWindowInference, type TrainBatch } from '../src/index.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);

interface Timing {
  median: number;
  min: number;
}

async function timeIt(fn: () => unknown, reps = REPS, warmups = 2): Promise<Timing> {
  for (let w = 0; w < warmups; w++) await fn(); // warm-up runs (JIT), not timed
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)]!, min: ts[0]! };
}

const PEER = `
import json, sys, time, numpy as np, torch
torch.set_num_threads(2)
c = json.load(sys.stdin)
reps = c['reps']
def timeit(f, reps=reps):
    f(); f(); ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort(); return {'median': ts[len(ts) // 2], 'min': ts[0]}
def starts(n, w, ov):
    if n <= w: return [0]
    s = max(1, int(w * (1 - ov))); k = -(-(n - w) // s) + 1
    return [min(i * s, n - w) for i in range(k)]
def gauss(w):
    ax = [np.exp(-((np.arange(n) - (n - 1) / 2) ** 2) / (2 * (n / 8) ** 2)) for n in w]
    return ax[0][:, None, None] * ax[1][None, :, None] * ax[2][None, None, :]
def sliding(vol, predict, w, ov, batch, cout):
    Z, Y, X = vol.shape
    g = gauss(w)
    out = np.zeros((cout, Z, Y, X), np.float32); norm = np.zeros((Z, Y, X), np.float32)
    pos = [(z, y, x) for z in starts(Z, w[0], ov) for y in starts(Y, w[1], ov) for x in starts(X, w[2], ov)]
    for b in range(0, len(pos), batch):
        chunk = pos[b:b + batch]
        patches = np.stack([vol[z:z + w[0], y:y + w[1], x:x + w[2]] for z, y, x in chunk])
        pred = predict(patches)
        for (z, y, x), p in zip(chunk, pred):
            out[:, z:z + w[0], y:y + w[1], x:x + w[2]] += p * g
            norm[z:z + w[0], y:y + w[1], x:x + w[2]] += g
    return out / norm
rng = np.random.default_rng(0)
res = {}
vol1 = rng.standard_normal((64, 96, 96)).astype(np.float32)
res['blend'] = timeit(lambda: sliding(vol1, lambda p: p[:, None], (32, 32, 32), 0.5, 1, 1), 2 * reps)
net = torch.nn.Sequential(torch.nn.Conv3d(1, 8, 3, padding=1, bias=False), torch.nn.ReLU(), torch.nn.Conv3d(8, 3, 1))
vol2 = rng.standard_normal((48, 64, 64)).astype(np.float32)
def tpredict(p):
    with torch.no_grad():
        return torch.softmax(net(torch.from_numpy(p)[:, None]), 1).numpy()
res['conv'] = timeit(lambda: sliding(vol2, tpredict, (32, 32, 32), 0.5, 2, 3))
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.99, nesterov=True)
x = torch.from_numpy(rng.standard_normal((2, 1, 32, 32, 32)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, (2, 32, 32, 32)))
def step():
    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(net(x), y); loss.backward(); opt.step()
res['step'] = timeit(step)
print(json.dumps(res))
`;

function buildNet() {
  const rng = new Rng(0);
  return new Sequential({
    conv: new Conv3d({ channelsIn: 1, channelsOut: 8, kernel: 3, rng }),
    relu: new ReLU(),
    head: new Conv3d({ channelsIn: 8, channelsOut: 3, kernel: 1, bias: true, rng }),
  });
}

async function main() {
  await tf.setBackend('cpu');
  const rng = new Rng(1);
  const vol1 = createVolume({ data: Float32Array.from({ length: 96 * 96 * 64 }, () => rng.normal()), shape: [96, 96, 64] });
  const blend = await timeIt(() =>
    slidingWindowInference(vol1, (x) => tf.clone(x), { windowSize: [32, 32, 32], overlap: 0.5, activation: 'none' }),
    2 * REPS,
    8, // the JS accumulation loops need several runs before the JIT settles
  );
  const net = buildNet();
  const vol2 = createVolume({ data: Float32Array.from({ length: 64 * 64 * 48 }, () => rng.normal()), shape: [64, 64, 48] });
  const conv = await timeIt(() =>
    slidingWindowInference(vol2, (x) => net.apply(x), { windowSize: [32, 32, 32], overlap: 0.5, batchSize: 2 }),
  );
  const x = Float32Array.from({ length: 2 * 32 ** 3 }, () => rng.normal());
  const y = Int32Array.from({ length: 2 * 32 ** 3 }, () => rng.int(0, 3));
  const trainer = new Trainer({
    network: net,
    optimizer: { kind: 'sgd', momentum: 0.99, nesterov: true },
    schedule: { kind: 'constant', lr: 0.01 },
    loss: (out, b: TrainBatch) => tf.losses.softmaxCrossEntropy(b.label, out) as tf.Scalar,
    data: {
      next: () => ({
        image: tf.tensor5d(x, [2, 32, 32, 32, 1]),
        label: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor4d(y, [2, 32, 32, 32], 'int32'), 3), 'float32')),
      }),
      getState: () => null,
      setState: () => {},
    },
  });
  const step = await timeIt(() => trainer.step());
  const peer = runPythonReference<Record<string, Timing>>(PEER, { reps: REPS });
  const rows: Array<[string, Timing, Timing]> = [
    ['sliding window, identity, 96×96×64, 32³, overlap 0.5 (blending only)', blend, peer.blend!],
    ['sliding window, conv net, 64×64×48, 32³, overlap 0.5, batch 2', conv, peer.conv!],
    ['training step, conv net, batch 2×32³, CE, SGD Nesterov', step, peer.step!],
  ];
  console.log(`@voxnas/train bench (REPS=${REPS}; ms, median / min; peer = NumPy + PyTorch ${'1.13'} CPU, 2 threads)`);
  console.log('| case | voxnas ms | peer ms | ratio (median) | ratio (min) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, a, b] of rows) {
    console.log(
      `| ${name} | ${a.median.toFixed(1)} / ${a.min.toFixed(1)} | ${b.median.toFixed(1)} / ${b.min.toFixed(1)} | ${(a.median / b.median).toFixed(2)} | ${(a.min / b.min).toFixed(2)} |`,
    );
  }
  trainer.dispose();
  net.dispose();
}

await main();
