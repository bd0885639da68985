/**
 * `pnpm bench` of @voxnas/unet (also run by the repo's `pnpm bench`): the peak memory of one U-Net
 * training step in voxnas against the same network in PyTorch.
 *
 * Each row is a fresh process: a voxnas process (bench/memory-step.ts: native kernels as `initBackend()`
 * picks them, `tf.train.adam`) and a python3 process (SYSTEM_PYTHON of @voxnas/testing, PyTorch CPU,
 * the network of the parity test written with torch.nn.functional over the same parameter shapes,
 * `torch.optim.Adam`). Both run STEPS training steps (forward, cross-entropy, backward, Adam update) of
 * the default U-Net (4 levels, 16 base channels, instance norm, transposed convolutions) on one random
 * batch, and report the process's peak resident size (`maxRSS` / `ru_maxrss`) after the steps, absolute
 * and minus the baseline read after the imports (and, for voxnas, `initBackend`) before the network is
 * built. For voxnas also the `tf.profile` peak tensor bytes of a step and the estimator's bytes; with
 * recomputation per level (`recompute: 'level'`) too. voxnas's training step (@voxnas/ops `variableGrads`)
 * releases each operation's saved tensors and output gradients once the backward pass has run it; the
 * `tf.variableGrads (whole tape)` row is tfjs's own, which keeps them all until the step ends — the peer
 * of that change, in the same run. PyTorch has no recomputation in these rows.
 *
 * Env: BENCH_UNET_MEMORY_PATCHES (default 32;64: cubes), BENCH_UNET_MEMORY_BATCH (2),
 * BENCH_UNET_MEMORY_STEPS (2), OMP_NUM_THREADS (threads of both sides; default 2). Without torch at
 * SYSTEM_PYTHON the PyTorch columns say what to install; the voxnas rows still run.
 * Alone: `pnpm --filter @voxnas/unet bench`.
 */
import '@tensorflow/tfjs-backend-cpu'; // the parent only builds a U-Net to read its parameter shapes
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '@voxnas/core';
import { pythonHas, runPythonReference, SYSTEM_PYTHON } from '@voxnas/testing';
import { TORCH_UNET_DEF } from '../test/torch-unet.js';
import { UNet } from '../src/index.js';

const patches = (process.env.BENCH_UNET_MEMORY_PATCHES ?? '32;64').split(';').map(Number);
const batch = Number(process.env.BENCH_UNET_MEMORY_BATCH ?? 2);
const steps = Number(process.env.BENCH_UNET_MEMORY_STEPS ?? 2);
const threads = Number(process.env.OMP_NUM_THREADS ?? 2);
process.env.OMP_NUM_THREADS = String(threads); // read by @voxnas/kernels in the child processes

interface Voxnas {
  readonly kernels: string;
  readonly params: number;
  readonly loss: number;
  readonly heldBytes: number;
  readonly peakBytes: number;
  readonly estimateBytes: number;
  readonly baselineRssBytes: number;
  readonly maxRssBytes: number;
}
interface Torch {
  readonly params: number;
  readonly loss: number;
  readonly baselineRssBytes: number;
  readonly maxRssBytes: number;
  readonly version: string;
}

function voxnasRow(shape: number[], recompute: 'none' | 'level', tape: 'lean' | 'stock'): Voxnas {
  const script = fileURLToPath(new URL('./memory-step.ts', import.meta.url));
  const job = { shape, config: {}, recompute, steps, tape };
  const r = spawnSync(process.execPath, [...process.execArgv, script, JSON.stringify(job)], { encoding: 'utf8', env: process.env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`memory-step ${JSON.stringify(job)} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Voxnas;
}

// The PyTorch side: baseline after `import torch` and reading the job; then the parameters (voxnas's
// shapes and layout, He-normal), the batch, Adam, STEPS steps; ru_maxrss is in KiB on Linux.
const TORCH = `${TORCH_UNET_DEF}
import json, resource, sys
a = json.load(sys.stdin)
torch.set_num_threads(a['threads'])
torch.manual_seed(0)
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
base = rss()
c = a['config']
W = {}
for k, s in a['shapes'].items():
    fan_in = s[0] * s[1] * s[2] * s[3] if len(s) == 5 else 1
    W[k] = (torch.randn(*s) * (2 / fan_in) ** 0.5).requires_grad_() if len(s) == 5 else torch.ones(*s).requires_grad_()
n, b = a['size'], a['batch']
x = torch.randn(b, 1, n, n, n)
y = torch.randint(0, 2, (b, n, n, n))
opt = torch.optim.Adam(W.values(), lr=1e-3)
for _ in range(a['steps']):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(unet(x), y)
    loss.backward()
    opt.step()
print(json.dumps({'params': sum(v.numel() for v in W.values()), 'loss': loss.item(), 'baselineRssBytes': base, 'maxRssBytes': rss(), 'version': torch.__version__}))
`;

const haveTorch = pythonHas('torch');
const template = new UNet({ rng: new Rng(7) });
const shapes = Object.fromEntries(template.namedVariables().filter((v) => v.trainable).map((v) => [v.path, v.variable.shape]));
const config = template.config;
template.dispose();

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const rows: string[] = [];
let kernels = '';
let torchVersion = '';
for (const p of patches) {
  const shape = [batch, p, p, p, 1];
  const torch = haveTorch ? runPythonReference<Torch>(TORCH, { threads, steps, size: p, batch, config, shapes }) : undefined;
  const cases = [['none', 'stock'], ['none', 'lean'], ['level', 'lean']] as const;
  for (const [recompute, tape] of cases) {
    const v = voxnasRow(shape, recompute, tape);
    kernels = v.kernels;
    if (torch && torch.params !== v.params) throw new Error(`PyTorch network has ${torch.params} parameters, voxnas ${v.params}`);
    const vDelta = v.maxRssBytes - v.baselineRssBytes;
    let torchCells = `not measured: install PyTorch for ${SYSTEM_PYTHON} (Debian: apt-get install python3-torch) or set VOXNAS_PYTHON | — | — | —`;
    if (torch) {
      torchVersion = torch.version;
      const tDelta = torch.maxRssBytes - torch.baselineRssBytes;
      torchCells = `${mib(torch.maxRssBytes)} | ${mib(tDelta)} | ${(v.maxRssBytes / torch.maxRssBytes).toFixed(2)}× | ${(vDelta / tDelta).toFixed(2)}×`;
    }
    rows.push(
      `| ${batch} × ${p}³ | ${recompute === 'level' ? 'per level' : 'off'} | ${tape === 'lean' ? 'released as it goes' : 'tf.variableGrads (whole tape)'} | ${mib(v.peakBytes)} | ${mib(v.estimateBytes)} | ${mib(v.maxRssBytes)} | ${mib(vDelta)} | ${torchCells} |`,
    );
  }
}
console.log(
  `\n@voxnas/unet memory bench — ${steps} Adam training steps of the default U-Net (${config.levels} levels, ${config.baseChannels} base channels, ${config.norm} norm, ${config.upsampling} upsampling), ` +
    `one fresh process per cell, ${threads} thread(s); voxnas kernels ${kernels}${torchVersion ? `, PyTorch ${torchVersion} CPU (no recomputation)` : ''}. MiB; Δ = peak RSS − RSS after imports.\n`,
);
console.log('| batch × patch | voxnas recompute | voxnas backward | voxnas peak tensor | estimate | voxnas peak RSS | voxnas Δ RSS | PyTorch peak RSS | PyTorch Δ RSS | RSS voxnas ÷ PyTorch | Δ voxnas ÷ PyTorch |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
