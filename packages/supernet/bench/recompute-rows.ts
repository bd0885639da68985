/**
 * Activation recomputation rows of the supernet bench (`pnpm bench`; alone: `pnpm bench:recompute`):
 * a search step (Gumbel k=1 at its worst draw) and the heaviest child's training step, at two patch
 * sizes (BENCH_RECOMPUTE_PATCHES, z×y×x;…, default 16x16x16;16x32x32; batch 1; levels BENCH_LEVELS,
 * width BENCH_CHANNELS), without recomputation, per cell and per edge operator (inside each cell). Each row runs in a process of its own
 * (bench/recompute-step.ts), so its peak resident size is its own: peak tensor bytes (`tf.profile`),
 * the estimator's bytes for the same step, the process's peak resident size, and the median ms of
 * BENCH_RECOMPUTE_REPS steps. Then the estimator at the paper's size (nothing allocated).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '@voxnas/ops';
import { createSearchSpace, estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from '../src/index.js';

interface Measured {
  readonly kernels: string;
  readonly peakBytes: number;
  readonly estimateBytes: number;
  readonly maxRssBytes: number;
  readonly ms: number;
}

function runStep(job: object): Measured {
  const script = fileURLToPath(new URL('./recompute-step.ts', import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, script, JSON.stringify(job)], { encoding: 'utf8', env: process.env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`recompute-step ${JSON.stringify(job)} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Measured;
}

export function recomputeRows(levels: number, channels: number): void {
  const patches = (process.env.BENCH_RECOMPUTE_PATCHES ?? '16x16x16;16x32x32').split(';').map((p) => p.split('x').map(Number) as [number, number, number]);
  const reps = Number(process.env.BENCH_RECOMPUTE_REPS ?? 3);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const rows: string[] = [];
  let kernels = '';
  for (const [z, y, x] of patches) {
    for (const kind of ['search', 'child'] as const) {
      const shape = [1, z, y, x, 1];
      const off = runStep({ kind, shape, levels, channels, recompute: false, reps });
      const cell = runStep({ kind, shape, levels, channels, recompute: true, reps });
      const edge = runStep({ kind, shape, levels, channels, recompute: 'edge', reps });
      kernels = cell.kernels;
      const name = kind === 'search' ? 'search step, gumbel k=1 (worst draw)' : 'heaviest child training step';
      for (const [label, m] of [['off', off], ['per cell', cell], ['per edge', edge]] as const) {
        rows.push(
          `| ${name} | ${z}×${y}×${x} | ${label} | ${mib(m.peakBytes)} | ${mib(m.estimateBytes)} (${(m.estimateBytes / m.peakBytes).toFixed(2)}) | ${mib(m.maxRssBytes)} | ${m.ms.toFixed(0)} | ${(m.peakBytes / off.peakBytes).toFixed(2)} | ${(m.ms / off.ms).toFixed(2)} |`,
        );
      }
    }
  }
  console.log(`\nactivation recomputation (levels ${levels}, width ${channels}, default candidates, batch 1, kernels ${kernels}; one process per row, median of ${reps} steps)`);
  console.log('| step | patch z×y×x | recompute | peak tensor MiB | estimate MiB (/ measured) | process peak RSS MiB | ms/step | × peak (off) | × time (off) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);

  // The estimator at the paper's size: examples/benchmark (4 levels, 16 base channels, 3 nodes, Gumbel
  // k=1, batch 2, patch 96×96×64 = z 64), Adam state included, nothing allocated.
  const space = createSearchSpace({ levels: 4, baseChannels: 16, nodes: 3 });
  console.log('\nestimated peak of one step at the paper size (examples/benchmark: 4 levels, 16 base channels, 3 nodes, batch 2; Adam state included)');
  console.log('| patch x×y×z | kernels | search gumbel k=1 | per cell | per edge | heaviest child | per cell | per edge |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [px, py, pz] of [[64, 64, 32], [96, 96, 64]]) {
    const shape: [number, number, number, number, number] = [2, pz!, py!, px!, 1];
    const child = heaviestChild(space, shape);
    for (const k of ['native', 'js'] as const) {
      const s = (recompute: 'none' | 'cell' | 'edge') => formatBytes(estimateSearchStepMemory(space, { inputShape: shape, kernels: k, recompute }).totalBytes);
      const c = (recompute: 'none' | 'cell' | 'edge') => formatBytes(estimateChildStepMemory(child, { inputShape: shape, kernels: k, recompute }).totalBytes);
      console.log(`| ${px}×${py}×${pz} | ${k} | ${s('none')} | ${s('cell')} | ${s('edge')} | ${c('none')} | ${c('cell')} | ${c('edge')} |`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { initBackend, currentBackend } = await import('@voxnas/ops');
  await initBackend({ logger: () => {} });
  console.log(`backend of the measuring processes: ${currentBackend()?.native ? 'native' : 'js'} kernels`);
  recomputeRows(Number(process.env.BENCH_LEVELS ?? 3), Number(process.env.BENCH_CHANNELS ?? 8));
}
