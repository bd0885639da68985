// `pnpm bench [--quick] [--threads N] [--reps N] [--profile] [--no-unet]`: one table comparing conv3d
// forward, conv3d forward+backward and one small U-Net-like training step on the native kernels (oneDNN, with
// format_tag::any + reorders and with plain NDHWC), the JavaScript kernels (1 repetition; skipped
// with --quick) and PyTorch 1.13 (/usr/bin/python3, torch.set_num_threads(N), NCDHW) — measured
// in the same run. Times are medians in milliseconds. Then @voxnas/unet's bench: one step of the
// real default U-Net at [1,64³,1] on the same three (skip with --no-unet).
import '@tensorflow/tfjs'; // gradients for the training step
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { medianMs, runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { nativeStatus, registerNativeKernels, setNativeThreads, unregisterNativeKernels } from '../src/index.js';
import { loadAddon } from '../src/internal/addon.js';
import {
  makeUnetLikeBatch,
  makeUnetLikeWeights,
  UNET_LIKE_TORCH,
  unetLikeStep,
  type UnetLikeSpec,
} from '../test/unet-like-step.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const threads = opt('--threads', 2);
const reps = opt('--reps', 5);

type Shape5 = [number, number, number, number, number];
interface ConvCase { name: string; x: Shape5; f: Shape5 }
const convCases: ConvCase[] = [
  { name: '[1,32³,16]→16 3×3×3', x: [1, 32, 32, 32, 16], f: [3, 3, 3, 16, 16] },
  { name: '[1,64³,8]→8 3×3×3', x: [1, 64, 64, 64, 8], f: [3, 3, 3, 8, 8] },
  { name: '[2,48³,32]→32 3×3×3', x: [2, 48, 48, 48, 32], f: [3, 3, 3, 32, 32] },
  { name: '[2,48³,32]→32 1×1×1', x: [2, 48, 48, 48, 32], f: [1, 1, 1, 32, 32] },
];
const unetSpec: UnetLikeSpec = { channelsIn: 1, width: 8, classes: 2 };
const unetShape: [number, number, number, number] = [1, 64, 64, 64];

const t00 = performance.now();
const log = (m: string) => process.stderr.write(`[${((performance.now() - t00) / 1000).toFixed(0)} s] ${m}\n`);

const time = medianMs;

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

function convFns(c: ConvCase) {
  const rng = new Rng(c.name);
  const x = randn(rng, c.x);
  const w = randn(rng, c.f);
  const pad = c.f[0] === 1 ? 'valid' : 'same';
  const dy = randn(rng, [...c.x.slice(0, 4), c.f[4]]);
  const fwd = () => {
    const y = tf.engine().runKernel(tf.Conv3D, { x, filter: w }, { strides: 1, pad, dilations: 1, dataFormat: 'NDHWC' } as unknown as tf.NamedAttrMap) as tf.Tensor;
    y.dispose();
  };
  const fwdBwd = () => {
    const y = tf.engine().runKernel(tf.Conv3D, { x, filter: w }, { strides: 1, pad, dilations: 1, dataFormat: 'NDHWC' } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dx = tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy, filter: w }, { strides: 1, pad, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dw = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy }, { strides: 1, pad, filterShape: c.f } as unknown as tf.NamedAttrMap) as tf.Tensor;
    tf.dispose([y, dx, dw]);
  };
  return { fwd, fwdBwd, dispose: () => tf.dispose([x, w, dy]) };
}

function unetFns() {
  const rng = new Rng('bench unet');
  const w = makeUnetLikeWeights(rng.fork('init'), unetSpec);
  const { x, target } = makeUnetLikeBatch(rng.fork('data'), unetShape, unetSpec);
  const step = () => {
    const { loss, grads } = unetLikeStep(x, target, w);
    tf.dispose([loss, ...Object.values(grads)]);
  };
  return { step, dispose: () => tf.dispose([x, target, w.w1, w.w2, w.w3, w.w4]) };
}

const TORCH = `
import json, sys, time, torch, torch.nn.functional as F
a = json.load(sys.stdin)
torch.set_num_threads(a['threads'])
torch.manual_seed(0)
${UNET_LIKE_TORCH}
def med(f, n):
    f()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1000)
    ts.sort(); return ts[len(ts) // 2]
out = {}
if 'conv' in a:
    c = a['conv']
    n, d, h, w, ci = c['x']; kd, kh, kw, _, co = c['f']
    x = torch.randn(n, ci, d, h, w, requires_grad=True)
    wt = torch.randn(co, ci, kd, kh, kw, requires_grad=True)
    g = torch.randn(n, co, d, h, w)
    p = kd // 2
    def fwd():
        with torch.no_grad(): F.conv3d(x, wt, padding=p)
    def fb():
        x.grad = None; wt.grad = None
        F.conv3d(x, wt, padding=p).backward(g)
    out = {'fwd': med(fwd, a['reps']), 'fwdBwd': med(fb, a['reps'])}
else:
    n, d, h, w = a['unet']['shape']; s = a['unet']['spec']
    x = torch.randn(n, s['channelsIn'], d, h, w); t = torch.randn(n, s['classes'], d, h, w)
    ws = [torch.randn(*sh, requires_grad=True) for sh in [(s['width'], s['channelsIn'], 3, 3, 3), (2 * s['width'], s['width'], 3, 3, 3), (s['width'], 3 * s['width'], 3, 3, 3), (s['classes'], s['width'], 1, 1, 1)]]
    def step():
        for v in ws: v.grad = None
        unet_like_loss(x, t, *ws).backward()
    out = {'step': med(step, a['reps'])}
print(json.dumps(out))
`;

/** Where the native U-Net-like step spends its time, by tfjs kernel (for choosing the next kernels). */
async function profileStep(step: () => void): Promise<void> {
  const info = await tf.profile(step);
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.log(`\nU-Net-like step, native kernels, time by tfjs kernel (total ${total.toFixed(0)} ms):`);
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${name.padEnd(26)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / total).toFixed(1)}%`);
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  const addon = loadAddon().addon;
  if (!nativeStatus.loaded || !addon) {
    console.log(`native kernels not loaded: ${nativeStatus.reason ?? 'unknown'}`);
    process.exit(1);
  }
  setNativeThreads(threads);

  interface Row { name: string; flops?: number; any: number; plain?: number; js?: number; torch: number }
  const rows: Row[] = [];

  for (const [i, c] of convCases.entries()) {
    log(c.name);
    const macs = c.x[0] * c.x[1] * c.x[2] * c.x[3] * c.f[0] * c.f[1] * c.f[2] * c.f[3] * c.f[4];
    const f = convFns(c);
    addon.setUseAnyLayout(true);
    const anyF = time(f.fwd, reps);
    const anyFB = time(f.fwdBwd, reps);
    // Plain NDHWC makes oneDNN 2.6 fall back to im2col+GEMM for 3D (see README); measured on the
    // two smaller shapes only, to keep the run short.
    let plainF: number | undefined;
    let plainFB: number | undefined;
    if (i < 2) {
      addon.setUseAnyLayout(false);
      plainF = time(f.fwd, reps);
      plainFB = time(f.fwdBwd, reps);
      addon.setUseAnyLayout(true);
    }
    addon.clearCache();
    let jsF: number | undefined;
    let jsFB: number | undefined;
    if (!quick) {
      unregisterNativeKernels();
      jsF = time(f.fwd, 1, 0);
      jsFB = time(f.fwdBwd, 1, 0);
      registerNativeKernels();
    }
    f.dispose();
    // PyTorch right after our own numbers for the case, so both see similar machine load.
    const t = runPythonReference<{ fwd: number; fwdBwd: number }>(TORCH, { threads, reps, conv: c });
    rows.push({ name: `conv3d fwd ${c.name}`, flops: 2 * macs, any: anyF, plain: plainF, js: jsF, torch: t.fwd });
    rows.push({ name: `conv3d fwd+bwd ${c.name}`, flops: 6 * macs, any: anyFB, plain: plainFB, js: jsFB, torch: t.fwdBwd });
    log(`done ${c.name}`);
  }

  {
    const u = unetFns();
    addon.setUseAnyLayout(true);
    const any = time(u.step, reps);
    let plain: number | undefined;
    let js: number | undefined;
    if (!quick) {
      unregisterNativeKernels();
      js = time(u.step, 1, 0);
      registerNativeKernels();
    }
    if (argv.includes('--profile')) await profileStep(u.step);
    u.dispose();
    log('done U-Net-like step');
    const t = runPythonReference<{ step: number }>(TORCH, { threads, reps, unet: { shape: unetShape, spec: unetSpec } });
    rows.push({ name: `U-Net-like train step (tfjs ops, 2 levels, w=8) [1,64³,1]`, any, plain, js, torch: t.step });
  }

  const ms = (v?: number) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
  console.log(
    `\n@voxnas/kernels bench — ${threads} threads, oneDNN ${addon.onednnVersion()}, median of ${reps} (JS: 1 run), ms. ` +
      `Load average at the end ${loadavg().map((v) => v.toFixed(1)).join(' / ')} (1/5/15 min; above ~0.5 other jobs share the cores and the numbers are contended).\n`,
  );
  console.log('| case | native | native, plain NDHWC | JS kernels | PyTorch | GFLOP/s native | JS / native | PyTorch / native |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const gf = r.flops ? (r.flops / r.any / 1e6).toFixed(1) : '—';
    console.log(
      `| ${r.name} | ${ms(r.any)} | ${ms(r.plain)} | ${ms(r.js)} | ${ms(r.torch)} | ${gf} | ${ratio(r.js, r.any)} | ${ratio(r.torch, r.any)} |`,
    );
  }
  console.log('\nPyTorch / native > 1× means the native kernels are faster. native: format_tag::any (oneDNN picks the layout, reorders from/to NDHWC/DHWIO where needed); plain NDHWC: the primitive forced onto the tfjs layouts (oneDNN 2.6 then uses im2col+GEMM), measured on the two smaller shapes only.');
}

await main();

// The whole U-Net training step at 64³ (the default voxnas U-Net, native vs JS vs PyTorch) is
// measured by @voxnas/unet's bench — this package cannot depend on it — run here with the same flags.
if (!argv.includes('--no-unet')) {
  const { spawnSync } = await import('node:child_process');
  const passOn = argv.filter((a) => a !== '--no-unet');
  const r = spawnSync('pnpm', ['--filter', '@voxnas/unet', 'run', 'bench:step', ...passOn], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
