import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resourceUsage } from 'node:process';
import { describe, expect, it } from 'vitest';
import { currentBackend } from '@voxnas/ops';
import { createSearchSpace, estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from '@voxnas/supernet';
import { main } from '../main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** The paper-size search of examples/benchmark: 4 levels, 16 base channels, 3 nodes, Gumbel k = 1, batch 2. */
const PAPER = ['--set', 'search.levels=4', '--set', 'search.baseChannels=16', '--set', 'search.nodes=3', '--set', 'search.sampler=gumbel', '--set', 'search.k=1', '--set', 'data.patchSize=[96,96,64]', '--set', 'data.batchSize=2'];

describe('voxnas search --dry-run: the pre-flight estimates before it runs', () => {
  it('a configuration over the budget says "does not fit" with the estimate, exits 1 and allocates nothing large', async () => {
    const space = createSearchSpace({ levels: 4, baseChannels: 16, nodes: 3 });
    const tensorsBefore = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const maxRssBefore = resourceUsage().maxRSS; // KiB, the process's peak so far
    const rssBefore = process.memoryUsage().rss;
    const c = capture();
    const code = await main(['search', '--dry-run', '--memory-budget', '512M', ...PAPER], c.io);
    const text = c.out.join('\n');
    // independent reference: the estimate of the same space at the same patch, for the kernels the run used
    const kernels = currentBackend()?.native ? 'native' : 'js';
    expect(text).toContain(`estimated for the ${kernels} kernels`);
    const expected = estimateSearchStepMemory(space, { inputShape: [2, 64, 96, 96, 1], sampler: { kind: 'gumbel', k: 1 }, kernels });
    expect(expected.totalBytes).toBeGreaterThan(2 ** 30); // far over the 512M budget
    expect(code).toBe(1);
    expect(text).toContain('does not fit');
    expect(text).toContain(`needs about ${(Math.round((expected.totalBytes / 2 ** 20) * 10) / 10).toFixed(1)} MiB`);
    expect(text).toContain('budget 512.0 MiB');
    // nothing ran: no tensor allocated, and the process's peak resident set grew by far less than one
    // step would take (a measured step needs GiBs here); stated bound: 256 MiB
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    expect(resourceUsage().maxRSS - maxRssBefore).toBeLessThan(256 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 2 ** 20);
  });

  it('--json reports every row as not measured', async () => {
    const c = capture();
    expect(await main(['search', '--dry-run', '--json', '--memory-budget', '1G', ...PAPER], c.io)).toBe(1);
    const r = JSON.parse(c.out.join('\n'));
    expect(r.fits).toBe(false);
    expect(r.budgetMiB).toBe(1024);
    expect(r.rows.map((x: { sampler: string }) => x.sampler)).toEqual(['gumbel k=1', 'full (DARTS)']);
    expect(r.rows.every((x: { peakMiB: number | null; fits: boolean }) => x.peakMiB === null && !x.fits)).toBe(true);
    expect(r.rows[1].estimateMiB).toBeGreaterThan(r.rows[0].estimateMiB);
  });

  it('a configuration that fits is estimated, then confirmed by one measured step', async () => {
    const c = capture();
    const tiny = ['--set', 'search.levels=2', '--set', 'search.baseChannels=4', '--set', 'search.nodes=2', '--set', 'search.sampler=full', '--set', 'data.patchSize=[16,16,16]', '--set', 'data.batchSize=1'];
    expect(await main(['search', '--dry-run', '--json', '--memory-budget', '2G', ...tiny], c.io)).toBe(0);
    const r = JSON.parse(c.out.join('\n'));
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0].fits).toBe(true);
    expect(r.rows[0].peakMiB).toBeGreaterThan(0);
    expect(r.rows[0].estimateMiB).toBeGreaterThan(0);
  });

  it('measures only the rows that fit: the configured gumbel step, not the full mixture over the budget', async () => {
    const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2 });
    const shape = [1, 16, 16, 16, 1] as const;
    const gumbel = estimateSearchStepMemory(space, { inputShape: shape, sampler: { kind: 'gumbel', k: 1 } }).totalBytes; // js: the larger
    const full = estimateSearchStepMemory(space, { inputShape: shape, sampler: { kind: 'full' }, kernels: 'native' }).totalBytes; // native: the smaller
    const budget = Math.round((1.2 * gumbel) / 1024);
    expect(budget * 1024).toBeLessThan(full);
    const c = capture();
    const tiny = ['--set', 'search.levels=2', '--set', 'search.baseChannels=4', '--set', 'search.nodes=2', '--set', 'search.sampler=gumbel', '--set', 'data.patchSize=[16,16,16]', '--set', 'data.batchSize=1'];
    expect(await main(['search', '--dry-run', '--json', '--memory-budget', `${budget}K`, ...tiny], c.io)).toBe(0);
    const r = JSON.parse(c.out.join('\n'));
    expect(r.rows.map((x: { sampler: string; fits: boolean }) => [x.sampler, x.fits])).toEqual([['gumbel k=1', true], ['full (DARTS)', false]]);
    expect(r.rows[0].peakMiB).toBeGreaterThan(0);
    expect(r.rows[1].peakMiB).toBeNull();
  });

  describe('activation recomputation', () => {
    const tiny = ['--set', 'search.levels=2', '--set', 'search.baseChannels=4', '--set', 'search.nodes=2', '--set', 'search.sampler=gumbel', '--set', 'data.patchSize=[16,16,16]', '--set', 'data.batchSize=1'];
    const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2 });
    const shape = [1, 16, 16, 16, 1] as const;
    const search = (recompute: 'none' | 'edge', kernels: 'js' | 'native') => estimateSearchStepMemory(space, { inputShape: shape, kernels, recompute }).totalBytes;
    const child = (recompute: 'none' | 'edge', kernels: 'js' | 'native') => estimateChildStepMemory(heaviestChild(space, shape), { inputShape: shape, kernels, recompute }).totalBytes;
    // a budget between the recomputed steps and the plain ones, for either kernels
    const over = Math.max(search('edge', 'js'), search('edge', 'native'), child('edge', 'js'), child('edge', 'native'));
    const under = Math.min(search('none', 'js'), search('none', 'native'));
    const budgetK = Math.round((over + under) / 2 / 1024);
    const mibOf = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

    it('a step that fits only with recomputation: "does not fit", exit 1, and the recomputed estimates that fit', async () => {
      expect(over).toBeLessThan(under);
      const c = capture();
      expect(await main(['search', '--dry-run', '--json', '--memory-budget', `${budgetK}K`, ...tiny], c.io)).toBe(1);
      const r = JSON.parse(c.out.join('\n'));
      const kernels = r.kernels as 'js' | 'native';
      expect(r.fits).toBe(false);
      expect(r.recompute).toEqual({ search: 'none', train: 'none' });
      expect(r.rows[0].estimateMiB).toBe(mibOf(search('none', kernels)));
      expect(r.rows[0].peakMiB).toBeNull();
      expect(r.withRecompute).toEqual({ searchMiB: mibOf(search('edge', kernels)), childMiB: mibOf(child('edge', kernels)), fits: true });
      const t = capture();
      expect(await main(['search', '--dry-run', '--memory-budget', `${budgetK}K`, ...tiny], t.io)).toBe(1);
      const text = t.out.join('\n');
      expect(text).toContain('does not fit');
      expect(text).toContain('set search.recompute and train.recompute to edge');
      expect(text).toContain(`search step about ${mibOf(search('edge', kernels)).toFixed(1)} MiB`);
    });

    it('with search.recompute and train.recompute edge, the same budget fits and one recomputed step is measured', async () => {
      const c = capture();
      const on = ['--set', 'search.recompute=edge', '--set', 'train.recompute=edge'];
      expect(await main(['search', '--dry-run', '--json', '--estimate-only', '--memory-budget', `${budgetK}K`, ...tiny, ...on], c.io)).toBe(0);
      const r = JSON.parse(c.out.join('\n'));
      expect(r.fits).toBe(true);
      expect(r.recompute).toEqual({ search: 'edge', train: 'edge' });
      expect(r.withRecompute).toBeNull();
      expect(r.rows[0].estimateMiB).toBe(mibOf(search('edge', r.kernels)));
      expect(r.child.estimateMiB).toBe(mibOf(child('edge', r.kernels)));
      const m = capture();
      expect(await main(['search', '--dry-run', '--json', '--memory-budget', `${budgetK}K`, ...tiny, ...on], m.io)).toBe(0);
      const measured = JSON.parse(m.out.join('\n'));
      expect(measured.rows[0].peakMiB).toBeGreaterThan(0);
      expect(measured.rows[0].peakMiB).toBeLessThan(budgetK / 1024);
    });
  });

  it.each(['8X', 'lots', '-1G'])('--memory-budget %s is an error naming the flag (exit 1)', async (value) => {
    const c = capture();
    const code = await main(['search', '--dry-run', '--memory-budget', value, ...PAPER], c.io);
    expect(code).not.toBe(0);
    expect(c.err.join('\n')).toContain(`--memory-budget: "${value}" is not a memory size`);
  });

  it('--memory-budget without --dry-run is a usage error', async () => {
    const c = capture();
    expect(await main(['search', '--out', '/nonexistent/x', '--memory-budget', '8G'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('--memory-budget and --estimate-only go with --dry-run');
  });
});
