/**
 * `pnpm bench:step [--quick] [--size N] [--reps N] [--threads N] [--profile]` (also run by
 * @voxnas/kernels' `pnpm bench`): one training step
 * (forward, softmax cross-entropy, gradients of every weight) of the default voxnas U-Net (4 levels,
 * 16 base channels, InstanceNorm, transposed convolutions, 1.4 M parameters) on a [1, N³, 1] patch
 * (default N = 64), measured in one run on:
 *   - native: the cpu backend with @voxnas/kernels (oneDNN convolutions and pooling, fused and
 *     typed-array elementwise kernels), as `initBackend()` picks it;
 *   - JS: the stock tfjs-backend-cpu kernels (`VOXNAS_BACKEND=cpu`; 1 run; skipped with --quick);
 *   - PyTorch 1.13 (/usr/bin/python3, `torch.set_num_threads(threads)`), the same network written
 *     with torch.nn.functional (the one the parity test checks), float32.
 * Times are medians in milliseconds after one warm-up step. `--profile` prints where the native
 * step spends its time, by tfjs kernel.
 */
import '@tensorflow/tfjs'; // gradients
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';
import { medianMs, runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { TORCH_UNET_DEF } from '../test/torch-unet.js';
import { UNet } from '../src/index.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const quick = argv.includes('--quick');
const size = opt('--size', 64);
const reps = opt('--reps', 3);
const threads = opt('--threads', 2);
process.env.OMP_NUM_THREADS = String(threads); // read by @voxnas/kernels when initBackend loads it

const rng = new Rng('unet step bench');
const net = new UNet({ rng: rng.fork('init') });
const shape: [number, number, number, number, number] = [1, size, size, size, 1];
const n = size ** 3;
const xv = new Float32Array(n);
const lv = new Int32Array(n);
const data = rng.fork('data');
for (let i = 0; i < n; i++) {
  xv[i] = data.normal();
  lv[i] = data.int(0, 2);
}
const x = tf.tensor5d(xv, shape);
const onehot = tf.oneHot(tf.tensor1d(lv, 'int32'), 2).reshape([...shape.slice(0, 4), 2]);
const vars = net.trainableVariables();
const params = vars.reduce((a, v) => a + v.size, 0);

/** One step; returns the loss. */
function step(): number {
  const { value, grads } = tf.variableGrads(() => {
    const logits = net.apply(x);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  }, vars);
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

const TORCH = `${TORCH_UNET_DEF}
import json, sys, time
a = json.load(sys.stdin)
torch.set_num_threads(a['threads'])
torch.manual_seed(0)
c = a['config']
W = {}
for k, s in a['shapes'].items():
    fan_in = s[0] * s[1] * s[2] * s[3] if len(s) == 5 else 1
    W[k] = (torch.randn(*s) * (2 / fan_in) ** 0.5).requires_grad_() if len(s) == 5 else torch.ones(*s).requires_grad_()
n = a['size']
x = torch.randn(1, 1, n, n, n)
y = torch.randint(0, 2, (1, n, n, n))
def step():
    for v in W.values(): v.grad = None
    F.cross_entropy(unet(x), y).backward()
step()
ts = []
for _ in range(a['reps']):
    t0 = time.perf_counter(); step(); ts.append((time.perf_counter() - t0) * 1000)
ts.sort()
print(json.dumps({'step': ts[len(ts) // 2], 'params': sum(v.numel() for v in W.values())}))
`;

async function profile(): Promise<void> {
  const info = await tf.profile(() => void step());
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls++;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`\nnative step by tfjs kernel (total ${total.toFixed(0)} ms):`);
  for (const [name, e] of [...byKernel].sort((p, q) => q[1].ms - p[1].ms).slice(0, 20)) {
    console.log(`  ${name.padEnd(28)} ${String(e.calls).padStart(4)} calls ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1)}%`);
  }
}

const native = await initBackend({ logger: (l) => process.stderr.write(`${l}\n`) });
const nativeLoss = step();
const nativeMs = medianMs(step, reps, 0);
if (argv.includes('--profile')) await profile();
let jsMs: number | undefined;
let jsLoss: number | undefined;
if (!quick) {
  await initBackend({ backend: 'cpu', logger: (l) => process.stderr.write(`${l}\n`) });
  const t0 = performance.now();
  jsLoss = step();
  jsMs = performance.now() - t0;
  await initBackend({ logger: () => {} });
}
const shapes = Object.fromEntries(net.namedVariables().filter((v) => v.trainable).map((v) => [v.path, v.variable.shape]));
const torch = runPythonReference<{ step: number; params: number }>(TORCH, { threads, reps, size, config: net.config, shapes });
if (torch.params !== params) throw new Error(`PyTorch network has ${torch.params} parameters, voxnas ${params}`);

const ms = (v?: number) => (v === undefined ? '—' : v.toFixed(0));
console.log(
  `\n@voxnas/unet bench — one training step of the default U-Net (${(params / 1e6).toFixed(2)} M parameters) on [1,${size}³,1], ` +
    `${threads} threads, median of ${reps} (JS: 1 run), ms. Backend: ${native.summary}\n`,
);
console.log('| step | native | JS kernels | PyTorch 1.13 | native / PyTorch | JS / native |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| U-Net [1,${size}³,1] fwd+loss+bwd | ${ms(nativeMs)} | ${ms(jsMs)} | ${ms(torch.step)} | ${(nativeMs / torch.step).toFixed(2)}× | ${jsMs === undefined ? '—' : `${(jsMs / nativeMs).toFixed(1)}×`} |`,
);
console.log(`\nloss native ${nativeLoss.toFixed(6)}${jsLoss === undefined ? '' : `, JS ${jsLoss.toFixed(6)}`} (same weights and batch). Goal (issue 8): native / PyTorch ≤ 1.5×.`);
