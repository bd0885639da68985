import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { createSearchSpace, sampleRandomGenotype } from '@voxnas/supernet';
import { evaluateCases } from '@voxnas/train/node';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { resolveConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { main } from '../main.js';
import { readReportRun, runReport } from './report.js';

// Run directories built by hand with the files `voxnas search` / `voxnas train` write (same record
// types; metrics.json by evaluateCases on hand-made label maps), so the numbers are known exactly.
const cfg = resolveConfig({ seed: 4, data: { patchSize: [16, 16, 16] }, search: { levels: 2, baseChannels: 4, nodes: 2, steps: 6, warmupSteps: 1 } });
const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 2, classes: 3 });
const SHAPE = [7, 6, 5] as const;
const AFFINE = [1.5, 0, 0, -5, 0, 2, 0, 3, 0, 0, 2.5, 1, 0, 0, 0, 1];

function jsonl(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

async function makeSearchRun(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const genotype = sampleRandomGenotype(space, new Rng(3).fork('g'));
  const labels = [...new Set(space.edges.map((e) => e.label))];
  const records: unknown[] = [];
  for (let step = 0; step < 6; step++) {
    records.push({ type: 'search-step', step, tau: 5 * 0.7 ** step, weightLoss: 2 - step * 0.1, archLoss: step === 0 ? null : 2.5 - step * 0.2, lr: 0.003, active: {} });
    if (step % 2 === 1) {
      // Edge 0 grows sure of candidate 2 (conv-3x3x3); the rest stay uniform.
      const probabilities = Object.fromEntries(
        labels.map((l, i) => {
          const n = space.edges.find((e) => e.label === l)!.candidates.length;
          if (i !== 0) return [l, Array.from({ length: n }, () => 1 / n)];
          const p = 0.3 + step * 0.1;
          return [l, Array.from({ length: n }, (_, k) => (k === 2 ? p : (1 - p) / (n - 1)))];
        }),
      );
      const warnings = step === 5 ? [{ code: 'skip-dominance', step, message: 'identity wins <script>alert(1)</script> on 3 edges' }] : [];
      records.push({ type: 'arch', step, tau: 5 * 0.7 ** step, probabilities, entropy: {}, genotype, score: 0.1 * step, warnings });
    }
  }
  await writeFile(join(dir, 'log.jsonl'), jsonl(records));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ format: 'voxnas-run@1', config: cfg }));
  await writeFile(join(dir, 'genotype.json'), JSON.stringify(genotype));
  await writeFile(join(dir, 'search.json'), JSON.stringify({ steps: 6, bestStep: 5, bestScore: 0.5, params: 1234, flops: 5678, warnings: [] }));
}

/** A label map whose label 1 is the first `n1` voxels and label 2 the last `n2`. */
function labelMap(n1: number, n2: number) {
  const data = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  data.fill(1, 0, n1);
  data.fill(2, data.length - n2);
  return createVolume({ data, shape: SHAPE, affine: AFFINE, kind: 'label' });
}

/**
 * A train run with per-case predictions missing `miss[c]` of 20 label-1 voxels (Dice 2(20 − m)/(40 − m))
 * and label 2 predicted exactly (Dice 1).
 */
async function makeTrainRun(dir: string, miss: number[], params: number): Promise<number[]> {
  await mkdir(dir, { recursive: true });
  const cases = miss.map((m, c) => ({ caseId: `case${c}`, prediction: labelMap(20 - m, 10), reference: labelMap(20, 10) }));
  await evaluateCases(cases, { outDir: dir, labels: [1, 2], labelNames: { 1: 'liver', 2: 'tumour' } });
  const steps = [0, 1, 2, 3, 4, 5].map((s) => ({ type: 'step', step: s, loss: 1.5 - s * 0.2, lr: 0.003, gradNorm: 1 }));
  await writeFile(
    join(dir, 'log.jsonl'),
    jsonl([...steps.slice(0, 3), { type: 'validation', step: 2, score: 0.4, best: true }, ...steps.slice(3), { type: 'validation', step: 5, score: 0.6, best: true }]),
  );
  await writeFile(join(dir, 'config.json'), JSON.stringify({ format: 'voxnas-run@1', config: cfg }));
  await writeFile(join(dir, 'network.json'), JSON.stringify({ kind: 'unet', options: { levels: 2, baseChannels: 4 } }));
  await writeFile(join(dir, 'train.json'), JSON.stringify({ arch: 'unet', params, meanDice: 0.9, steps: 6 }));
  return miss.map((m) => (2 * (20 - m)) / (40 - m));
}

/** The text of the `<td>`s of the table row whose header cell is `name`, inside `section`. */
function rowOf(html: string, name: string): string[] {
  const m = new RegExp(`<tr><th scope="row">${name}</th>(.*?)</tr>`).exec(html);
  if (!m) throw new Error(`no row ${name}`);
  return [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((x) => x[1]!);
}

describe('voxnas report', () => {
  it('one self-contained HTML file with curves, α heatmaps, genotype, metrics, warnings and a comparison', async () => {
    await withTempDir(async (dir) => {
      await makeSearchRun(join(dir, 'search-a'));
      const diceA = await makeTrainRun(join(dir, 'unet'), [1, 2, 3, 4, 5], 4876);
      await makeTrainRun(join(dir, 'searched'), [0, 0, 0, 0, 0], 8196);
      const out = join(dir, 'report.html');
      const lines: string[] = [];
      const code = await main(['report', '--run', join(dir, 'search-a'), '--run', join(dir, 'unet'), '--run', join(dir, 'searched'), '--out', out], {
        out: (t) => lines.push(t),
        err: (t) => lines.push(t),
      });
      expect(lines.join('\n')).toBe(`report written: ${out} (3 run(s))`);
      expect(code).toBe(0);
      const html = await readFile(out, 'utf8');

      // Self-contained: no scripts, links, images or URLs (only in-document `url(#marker)` references).
      expect(html).not.toMatch(/https?:|<script|<link|<img|<iframe|url\((?!#)|@import|xmlns|src=/i);
      expect(html.startsWith('<!doctype html>')).toBe(true);
      // Escaped text.
      expect(html).toContain('identity wins &lt;script&gt;alert(1)&lt;/script&gt; on 3 edges');

      // Sections.
      for (const title of [
        'Comparison of train runs',
        'Search losses',
        'Gumbel temperature τ',
        'Architecture decisions over the search (per edge: most probable operator)',
        'Operator probabilities at the last snapshot (step 5)',
        'Genotype',
        'Training loss',
        'Validation Dice (mean foreground)',
        'Validation metrics (5 cases)',
        'Health',
      ]) {
        expect(html, title).toContain(`>${title}<`);
      }
      expect((html.match(/<section id="run-\d">/g) ?? []).length).toBe(0);
      expect((html.match(/<section id="run-\d" class="run (search|train)">/g) ?? []).length).toBe(3);
      // α heatmap: edge 0 reaches p = 0.80 for conv-3x3x3 at step 5; the others stay at 1/6.
      const edge0 = space.edges[0]!.label;
      expect(html).toContain(`<title>${edge0.replace('>', '&gt;')} @ step 5: conv-3x3x3 p=0.800</title>`);
      expect(html).toContain('>0.17<');
      // Every operator of the space is in the legend; the genotype SVG is inline.
      for (const op of space.candidates['encoder-normal']) expect(html).toContain(`</span>${op}`);
      expect(html).toMatch(/<div class="scroll genotype"><svg/);
      // Ids stay unique in the page (each inline diagram's ids are prefixed by its run).
      const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
      expect(new Set(ids).size).toBe(ids.length);
      expect(html).toContain('marker-end="url(#run-1-genotype-arrow)"');

      // Metric table of the U-Net run: Dice mean ± sample std over the 5 cases.
      const mean = diceA.reduce((a, b) => a + b) / 5;
      const std = Math.sqrt(diceA.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
      const unetSection = html.slice(html.indexOf('<section id="run-2"'), html.indexOf('<section id="run-3"'));
      const liver = rowOf(unetSection, 'liver');
      expect(liver[0]).toBe(`${mean.toFixed(4)} ± ${std.toFixed(4)}`);
      const [lo, hi] = liver[1]!.slice(1, -1).split(', ').map(Number);
      expect(lo).toBeGreaterThanOrEqual(Math.min(...diceA) - 1e-4);
      expect(hi).toBeLessThanOrEqual(Math.max(...diceA) + 1e-4);
      expect(lo!).toBeLessThan(mean);
      expect(liver[4]).toBe('5');
      expect(rowOf(unetSection, 'tumour').slice(0, 2)).toEqual(['1.0000 ± 0.0000', '[1.0000, 1.0000]']);
      // HD95 of exact label 2 is 0 mm.
      expect(rowOf(unetSection, 'tumour')[2]).toBe('0.00 ± 0.00');

      // Comparison: searched is better on every case (5 distinct positive differences) → exact
      // two-sided Wilcoxon p = 2/2⁵ = 0.0625; tumour identical → p = 1.
      const cmp = html.slice(html.indexOf('<section id="comparison">'), html.indexOf('</section>', html.indexOf('<section id="comparison">')));
      expect(rowOf(cmp, 'unet')).toEqual(['4876', mean.toFixed(4), '1.0000', ((mean + 1) / 2).toFixed(4), '—', '—']);
      expect(rowOf(cmp, 'searched')).toEqual(['8196', '1.0000', '1.0000', '1.0000', '0.063', '1.0']);

      // Atomic: only the report is left in the directory (no temporary file).
      expect((await readdir(dir)).sort()).toEqual(['report.html', 'search-a', 'searched', 'unet']);
    });
  });

  it('overwrites an existing report atomically and refuses a missing output directory', async () => {
    await withTempDir(async (dir) => {
      await makeSearchRun(join(dir, 's'));
      const out = join(dir, 'r.html');
      await writeFile(out, 'old');
      await runReport({ runs: [join(dir, 's')], out });
      expect((await readFile(out, 'utf8')).startsWith('<!doctype html>')).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['r.html', 's']);
      const err = await runReport({ runs: [join(dir, 's')], out: join(dir, 'missing', 'r.html') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas report --out <tmp>/missing/r.html: the directory <tmp>/missing does not exist"`,
      );
    });
  });

  it('skips a torn last log line (a killed run) but rejects a corrupt complete line', async () => {
    await withTempDir(async (dir) => {
      const s = join(dir, 's');
      await makeSearchRun(s);
      const log = await readFile(join(s, 'log.jsonl'), 'utf8');
      await writeFile(join(s, 'log.jsonl'), `${log}{"type":"search-st`);
      expect((await readReportRun(s)).records).toHaveLength(log.trim().split('\n').length);
      await writeFile(join(s, 'log.jsonl'), `{"type":\n${log}`);
      const err = await readReportRun(s).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas report: <tmp>/s/log.jsonl line 1 is not valid JSON"`,
      );
    });
  });

  it('a directory that is not a run is a ConfigError; no --run is a usage error', async () => {
    await withTempDir(async (dir) => {
      const err = await readReportRun(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.replaceAll(dir, '<tmp>')).toMatchInlineSnapshot(
        `"voxnas report --run <tmp>: not a voxnas search or train run (no log.jsonl records, genotype.json or network.json)"`,
      );
      const lines: string[] = [];
      expect(await main(['report', '--out', join(dir, 'r.html')], { out: () => {}, err: (t) => lines.push(t) })).toBe(2);
      expect(lines[0]).toContain('voxnas report: give at least one --run <dir>');
    });
  });
});
