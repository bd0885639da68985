import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { tinySettings } from '../../test/tiny-settings.js';

const CANDIDATES = ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1'];
const CELLS = ['encoder-normal', 'reduction', 'decoder-normal', 'expansion'];
// No search.alphaSharing: `cell` is the default.
const TINY = tinySettings(
  `search.candidates=${JSON.stringify(CANDIDATES)}`,
  'search.steps=4',
  'search.warmupSteps=1',
  'search.deriveEvery=2',
  'search.archLr=0.5',
  'train.steps=2',
  'train.warmupSteps=1',
  'train.validateEvery=2',
);

/** The float32 variables of a weights directory by name, read from its manifest and binary here. */
function readWeights(dir: string): Map<string, number[]> {
  const file = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[] }> }>;
  };
  const out = new Map<string, number[]>();
  for (const group of file.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, Array.from(values.subarray(offset, offset + n)));
      offset += n;
    }
  }
  return out;
}

const softmax = (x: number[]): number[] => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** The last `arch` record of a run's log: the final α's probabilities per edge label. */
function lastArch(run: string): { step: number; probabilities: Record<string, number[]> } {
  return readFileSync(join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; probabilities: Record<string, number[]> })
    .filter((e) => e.type === 'arch')
    .at(-1)!;
}

/** The variables of a search run's latest checkpoint. */
function latestWeights(run: string): Map<string, number[]> {
  const latest = readFileSync(join(run, 'checkpoints', 'latest'), 'utf8').trim();
  return readWeights(join(run, 'checkpoints', latest, 'model'));
}

describe("voxnas search with search.alphaSharing: cell (the default) and edge", () => {
  it('by default checkpoints β per cell type, logs softmax(α + β), and its checkpoints load into search-quality', async () => {
    await withTempDir(async (tmp) => {
      const search = join(tmp, 'search');
      const r = await runCli(['search', '--out', search, '--quiet', ...TINY]);
      expect(r.code, r.err).toBe(0);
      const weights = latestWeights(search);
      for (const cell of CELLS) expect(weights.get(`arch/${cell}`)).toHaveLength(CANDIDATES.length - 1);
      expect(CELLS.some((c) => weights.get(`arch/${c}`)!.some((v) => v !== 0))).toBe(true);
      // the last arch record is the final α: each edge's probabilities are softmax(α_edge + β_type), zero without β
      const arch = lastArch(search);
      expect(arch.step).toBe(3);
      const labels = Object.keys(arch.probabilities);
      expect(labels.length).toBeGreaterThan(CELLS.length);
      for (const label of labels) {
        const alpha = weights.get(`arch/${label.replace('->', '-')}`)!;
        const beta = weights.get(`arch/${label.split('.')[0]!}`)!;
        const want = softmax(alpha.map((a, i) => (i === 0 ? a : a + beta[i - 1]!)));
        arch.probabilities[label]!.forEach((p, i) => expect(p).toBeCloseTo(want[i]!, 5));
      }
      // a reader of the checkpoints builds the same supernet (the variables must match exactly)
      const q = await runCli(['search-quality', '--run', search, '--out', join(tmp, 'quality'), '--samples', '2', '--steps', '2', '--json', '--quiet']);
      expect(q.code, q.err).toBe(0);
      expect(JSON.parse(q.out).count).toBe(3);
    });
  }, 600_000);

  it('search.alphaSharing=edge (the paper): no β, and the logged probabilities are softmax(α) of each edge', async () => {
    await withTempDir(async (tmp) => {
      const search = join(tmp, 'search');
      const r = await runCli(['search', '--out', search, '--quiet', ...TINY, '--set', 'search.alphaSharing=edge']);
      expect(r.code, r.err).toBe(0);
      const weights = latestWeights(search);
      for (const cell of CELLS) expect(weights.has(`arch/${cell}`)).toBe(false);
      const arch = lastArch(search);
      for (const [label, probs] of Object.entries(arch.probabilities)) {
        const want = softmax(weights.get(`arch/${label.replace('->', '-')}`)!);
        probs.forEach((p, i) => expect(p).toBeCloseTo(want[i]!, 5));
      }
    });
  }, 600_000);

  it("a bad value is a config error naming the field and the allowed values", async () => {
    await withTempDir(async (tmp) => {
      const r = await runCli(['search', '--out', join(tmp, 's'), '--quiet', ...tinySettings('search.alphaSharing=type')]);
      expect(r.code).toBe(1);
      expect(r.err).toContain("field 'search.alphaSharing' must be one of 'edge', 'cell', got 'type'");
    });
  }, 60_000);
});
