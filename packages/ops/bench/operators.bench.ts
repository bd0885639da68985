/**
 * `pnpm bench`: forward and forward+backward time of every built-in operator at 32³ × 16 channels
 * (batch 1) on the backend `initBackend()` picks (CPU, with @voxnas/kernels native kernels when they
 * load), next to the equivalent PyTorch 1.13 module measured in the same run (/usr/bin/python3).
 * Also compares the two depthwise strategies. Median of BENCH_REPS (default 3) runs after one warm-up.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { medianMs } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { buildOperator, depthwiseConv3d, initBackend, listOperators, needsSameChannels } from '../src/index.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const SIZE = Number(process.env.BENCH_SIZE ?? 32);
const C = 16;
const PYTHON = process.env.VOXNAS_PYTHON ?? '/usr/bin/python3';

interface Row {
  name: string;
  stride: 1 | 2;
  upsample: 1 | 2;
}

const time = (fn: () => void): number => medianMs(fn, REPS);

const TORCH = String.raw`
import json, sys, time, torch
import torch.nn as nn
cfg = json.load(sys.stdin)
torch.manual_seed(0)
torch.set_num_threads(cfg['threads'])
class Zero(nn.Module):
    def __init__(self, s, up): super().__init__(); self.s, self.up = s, up
    def forward(self, x):
        n, c, d, h, w = x.shape; f = lambda v: -(-v // self.s) * self.up
        return x.new_zeros(n, c, f(d), f(h), f(w)) + 0 * x.sum()
class FR(nn.Module):
    def __init__(self, c):
        super().__init__(); self.relu = nn.ReLU()
        self.a = nn.Conv3d(c, c // 2, 1, stride=2, bias=False); self.b = nn.Conv3d(c, c - c // 2, 1, stride=2, bias=False)
        self.norm = nn.InstanceNorm3d(c)
    def forward(self, x):
        r = self.relu(x)
        s = nn.functional.pad(r[:, :, 1:, 1:, 1:], (0, 1, 0, 1, 0, 1))
        return self.norm(torch.cat([self.a(r), self.b(s)], 1))
def block(c, convs): return nn.Sequential(nn.ReLU(), *convs, nn.InstanceNorm3d(c))
def build(name, c, s, up):
    if name == 'zero': return Zero(s, up)
    if name == 'identity': return FR(c) if s == 2 else (nn.Upsample(scale_factor=2, mode='trilinear') if up == 2 else nn.Identity())
    if name == 'tconv-3x3x3': return block(c, [nn.ConvTranspose3d(c, c, 3, stride=up, padding=1, output_padding=up - 1, bias=False)])
    m = {
      'conv-3x3x3': lambda: block(c, [nn.Conv3d(c, c, 3, stride=s, padding=1, bias=False)]),
      'conv-3x3x1': lambda: block(c, [nn.Conv3d(c, c, (1, 3, 3), stride=s, padding=(0, 1, 1), bias=False)]),
      'p3d-3x3x1': lambda: block(c, [nn.Conv3d(c, c, (1, 3, 3), stride=(1, s, s), padding=(0, 1, 1), bias=False), nn.Conv3d(c, c, (3, 1, 1), stride=(s, 1, 1), padding=(1, 0, 0), bias=False)]),
      'dil-conv-3x3x3': lambda: block(c, [nn.Conv3d(c, c, 3, stride=s, padding=2, dilation=2, bias=False)]),
      'sep-conv-3x3x3': lambda: block(c, [nn.Conv3d(c, c, 3, stride=s, padding=1, groups=c, bias=False), nn.Conv3d(c, c, 1, bias=False)]),
      'max-pool-3x3x3': lambda: nn.MaxPool3d(3, stride=s, padding=1),
      'avg-pool-3x3x3': lambda: nn.AvgPool3d(3, stride=s, padding=1, count_include_pad=False),
    }[name]()
    return nn.Sequential(nn.Upsample(scale_factor=2, mode='trilinear'), m) if up == 2 else m
def med(f, reps):
    f(); ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1000)
    return sorted(ts)[len(ts) // 2]
out = []
size, c, reps = cfg['size'], cfg['channels'], cfg['reps']
for row in cfg['rows']:
    m = build(row['name'], c, row['stride'], row['upsample'])
    x = torch.randn(1, c, size, size, size, requires_grad=True)
    def fwd():
        with torch.no_grad(): m(x)
    def fb():
        m.zero_grad(); x.grad = None
        (m(x) ** 2).mean().backward()
    out.append({'fwd': med(fwd, reps), 'fb': med(fb, reps)})
dw_w = torch.randn(c, 1, 3, 3, 3)
xx = torch.randn(1, c, size, size, size)
def dw():
    with torch.no_grad(): nn.functional.conv3d(xx, dw_w, padding=1, groups=c)
print(json.dumps({'rows': out, 'depthwise': med(dw, reps), 'threads': torch.get_num_threads(), 'version': torch.__version__}))
`;

async function main(): Promise<void> {
  const choice = await initBackend({ logger: (line) => console.log(line) });
  const rows: Row[] = [];
  for (const spec of listOperators()) {
    if (spec.strides.includes(1)) rows.push({ name: spec.name, stride: 1, upsample: 1 });
  }
  rows.push({ name: 'identity', stride: 2, upsample: 1 }, { name: 'conv-3x3x3', stride: 2, upsample: 1 }, { name: 'tconv-3x3x3', stride: 1, upsample: 2 });
  const upInput = (r: Row) => (r.upsample === 2 ? SIZE / 2 : SIZE);

  console.log(`torch reference: running ${rows.length} operators in /usr/bin/python3 …`);
  const torch = JSON.parse(
    execFileSync(PYTHON, ['-c', TORCH.replace("x = torch.randn(1, c, size, size, size, requires_grad=True)", "x = torch.randn(1, c, size // row['upsample'], size // row['upsample'], size // row['upsample'], requires_grad=True)")], {
      input: JSON.stringify({ rows, size: SIZE, channels: C, reps: REPS, threads: Number(process.env.BENCH_TORCH_THREADS ?? 2) }),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  ) as { rows: Array<{ fwd: number; fb: number }>; depthwise: number; threads: number; version: string };

  const rng = new Rng(1);
  const results: string[] = [];
  rows.forEach((r, i) => {
    const spec = listOperators().find((s) => s.name === r.name)!;
    const op = buildOperator(r.name, {
      channelsIn: C,
      channelsOut: needsSameChannels(spec, r.stride) ? C : C,
      stride: r.stride,
      upsample: r.upsample,
      rng: rng.fork(r.name),
    });
    const n = upInput(r);
    const x = tf.randomNormal([1, n, n, n, C], 0, 1, 'float32', 1) as tf.Tensor5D;
    const vars = op.trainableVariables();
    const fwd = time(() => {
      const y = op.apply(x);
      y.dataSync();
      y.dispose();
    });
    const fb = time(() => {
      const loss = () => tf.mean(tf.square(op.forward(x))) as tf.Scalar;
      if (vars.length > 0) {
        const { value, grads } = tf.variableGrads(loss, vars);
        Object.values(grads).forEach((g) => g.dataSync());
        tf.dispose([value, ...Object.values(grads)]);
      } else {
        const g = tf.grad((xx: tf.Tensor) => tf.tidy(() => tf.mean(tf.square(op.forward(xx as tf.Tensor5D)))))(x);
        g.dataSync();
        g.dispose();
      }
    });
    const t = torch.rows[i]!;
    const label = `${r.name}${r.stride === 2 ? ' (stride 2)' : ''}${r.upsample === 2 ? ' (upsample ×2)' : ''}`;
    results.push(
      `| ${label.padEnd(28)} | ${fwd.toFixed(1).padStart(9)} | ${t.fwd.toFixed(1).padStart(8)} | ${(fwd / t.fwd).toFixed(1).padStart(6)}× | ${fb.toFixed(1).padStart(9)} | ${t.fb.toFixed(1).padStart(8)} | ${(fb / t.fb).toFixed(1).padStart(6)}× |`,
    );
    console.log(results.at(-1));
    x.dispose();
    op.dispose();
  });

  const x = tf.randomNormal([1, SIZE, SIZE, SIZE, C], 0, 1, 'float32', 2) as tf.Tensor5D;
  const w = tf.randomNormal([3, 3, 3, C, 1], 0, 1, 'float32', 3) as tf.Tensor5D;
  const dw = (strategy: 'split' | 'dense') =>
    time(() => {
      const y = depthwiseConv3d(x, w, { strategy });
      y.dataSync();
      y.dispose();
    });
  const split = dw('split');
  const dense = dw('dense');
  tf.dispose([x, w]);

  console.log('');
  console.log(`## @voxnas/ops operators, input [1, ${SIZE}, ${SIZE}, ${SIZE}, ${C}] (upsample rows: [1, ${SIZE / 2}³, ${C}]), median of ${REPS}`);
  console.log(`tfjs backend: ${choice.summary.replace('voxnas backend: ', '')}; PyTorch ${torch.version} CPU, ${torch.threads} threads; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('');
  console.log('| operator                     | tfjs fwd ms | torch ms |  ratio | tfjs f+b ms | torch ms |  ratio |');
  console.log('|------------------------------|-----------:|---------:|-------:|-----------:|---------:|-------:|');
  for (const line of results) console.log(line);
  console.log('');
  console.log(`depthwise 3×3×3 forward, C=${C}: split ${split.toFixed(1)} ms, dense (block-diagonal) ${dense.toFixed(1)} ms, torch groups=C ${torch.depthwise.toFixed(1)} ms`);
}

await main();
