import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createLosses } from '@voxnas/metrics';
import { buildChild, createSearchSpace, gumbelOneSampler, Supernet, uniformSampler, type Sampler, type SupernetOptions } from '@voxnas/supernet';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import type { JsonValue } from '@voxnas/core';
import type { BatchSource } from '@voxnas/train';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { SearchConfigError } from './errors.js';
import { SearchTrainer, type SearchTrainerOptions } from './search-trainer.js';

const losses = createLosses(tf);
const SIZE = 8;
const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, classes: 2 });

/** Deterministic batches by index: a noisy image with a bright ball whose position depends on the batch. */
function ballSource(seed: number): BatchSource & { position: number } {
  let position = 0;
  return {
    get position() {
      return position;
    },
    next() {
      const rng = new Rng(seed).fork(`batch-${position}`);
      position += 1;
      const n = SIZE ** 3;
      const img = new Float32Array(n);
      const lab = new Int32Array(n);
      const c = [rng.int(2, 6), rng.int(2, 6), rng.int(2, 6)];
      for (let z = 0; z < SIZE; z++)
        for (let y = 0; y < SIZE; y++)
          for (let x = 0; x < SIZE; x++) {
            const i = (z * SIZE + y) * SIZE + x;
            const inside = (x - c[0]!) ** 2 + (y - c[1]!) ** 2 + (z - c[2]!) ** 2 <= 4;
            lab[i] = inside ? 1 : 0;
            img[i] = (inside ? 1 : 0) + 0.3 * rng.normal();
          }
      return {
        image: tf.tensor5d(img, [1, SIZE, SIZE, SIZE, 1]),
        label: tf.tensor4d(lab, [1, SIZE, SIZE, SIZE], 'int32'),
      };
    },
    getState: () => position,
    setState(s: JsonValue) {
      position = s as number;
    },
  };
}

function makeSearch(seed: number, overrides: Partial<SearchTrainerOptions> = {}, supernetOptions: Partial<SupernetOptions> = {}) {
  const supernet = new Supernet(space, { rng: new Rng(seed), sampler: { kind: 'gumbel', k: 1 }, ...supernetOptions });
  const search = new SearchTrainer({
    supernet,
    weightData: ballSource(seed + 1),
    archData: ballSource(seed + 2),
    loss: (out, batch) => losses.diceCe(out, batch.label),
    weightOptimizer: { kind: 'adamw', weightDecay: 1e-4 },
    weightSchedule: { kind: 'constant', lr: 3e-3 },
    archLr: 0.05,
    temperature: { kind: 'exponential', from: 5, to: 0.5, steps: 6 },
    warmupSteps: 2,
    ...overrides,
  });
  return { supernet, search };
}

/** A 6-step search deriving every 2 steps (snapshots at steps 1, 3, 5) whose validator returns `scores` in turn. */
async function fitWithScores(warmupSteps: number, scores: number[]) {
  const { supernet, search } = makeSearch(4, { warmupSteps });
  let call = 0;
  const result = await search.fit({ steps: 6, deriveEvery: 2, validate: async () => scores[call++]! });
  search.dispose();
  supernet.dispose();
  return result;
}

function snapshotValues(supernet: Supernet): Float32Array[] {
  return supernet.namedVariables().map((v) => v.variable.dataSync().slice() as Float32Array);
}

describe('SearchTrainer', () => {
  it('keeps α fixed during warm-up, then moves it; weights move from the first step', async () => {
    const { supernet, search } = makeSearch(1);
    const alpha0 = JSON.stringify(supernet.alphaValues());
    const w0 = supernet.weightVariables().map((v) => v.dataSync().slice());
    const r0 = await search.step();
    const r1 = await search.step();
    expect(r0.archLoss).toBeNull();
    expect(r1.archLoss).toBeNull();
    expect(JSON.stringify(supernet.alphaValues())).toBe(alpha0);
    expect(supernet.weightVariables().some((v, i) => v.dataSync().some((x, j) => x !== w0[i]![j]))).toBe(true);
    const r2 = await search.step();
    expect(r2.archLoss).not.toBeNull();
    expect(JSON.stringify(supernet.alphaValues())).not.toBe(alpha0);
    expect(r0.tau).toBe(5);
    expect(r2.tau).toBeCloseTo(5 * 0.1 ** (2 / 6), 10);
    search.dispose();
    supernet.dispose();
  });

  it('runs steps without leaking tensors', async () => {
    const { supernet, search } = makeSearch(2, { warmupSteps: 0 });
    await search.step();
    await expectNoLeaks(async () => {
      await search.step();
      await search.step();
    });
    search.dispose();
    supernet.dispose();
  });

  it('a search resumed from a checkpoint ends bit-identical to an uninterrupted one', async () => {
    await withTempDir(async (dir) => {
      const a = makeSearch(3);
      const ra = await a.search.fit({ steps: 6, deriveEvery: 2 });
      const full = snapshotValues(a.supernet);

      const b = makeSearch(3);
      // Crash (like SIGKILL) during step 4, after the checkpoint of step 3 and before any later one.
      await expect(
        b.search.fit({
          steps: 6,
          deriveEvery: 2,
          checkpointDir: dir,
          checkpointEvery: 3,
          onStep: (r) => {
            if (r.step === 3) throw new Error('simulated crash');
          },
        }),
      ).rejects.toThrow('simulated crash');
      b.search.dispose();
      b.supernet.dispose();

      const c = makeSearch(3);
      await c.search.loadCheckpoint(dir);
      expect(c.search.stepsDone).toBe(3);
      const rc = await c.search.fit({ steps: 6, deriveEvery: 2 });
      const resumed = snapshotValues(c.supernet);
      expect(resumed.length).toBe(full.length);
      resumed.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(full[i]!)));
      expect(rc.finalGenotype).toEqual(ra.finalGenotype);
      expect(rc.history.map((h) => h.step)).toEqual(ra.history.map((h) => h.step));
      for (const s of [a, c]) {
        s.search.dispose();
        s.supernet.dispose();
      }
    });
  });

  it('logs snapshots with probabilities that sum to 1 and keeps the best-scoring genotype', async () => {
    const result = await fitWithScores(0, [0.2, 0.9, 0.5]);
    expect(result.history.map((h) => h.step)).toEqual([1, 3, 5]);
    expect(result.bestScore).toBe(0.9);
    expect(result.bestStep).toBe(3);
    expect(result.bestGenotype).toEqual(result.history[1]!.genotype);
    for (const p of Object.values(result.history[2]!.probabilities)) {
      expect(p.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
    }
  });

  it('draws the α steps\' paths from `sampler` and the weight steps\' from `weightSampler`', async () => {
    const run = async (weightSampler: 'uniform' | 'same') => {
      const calls = { arch: 0, weights: 0 };
      const counted = (phase: 'arch' | 'weights', inner: Sampler): Sampler => (logits, rng, tau) => {
        calls[phase] += 1;
        return inner(logits, rng, tau);
      };
      const { supernet, search } = makeSearch(
        31,
        { archLr: 1e-3, temperature: { kind: 'constant', tau: 1 } },
        {
          sampler: counted('arch', gumbelOneSampler),
          ...(weightSampler === 'uniform' ? { weightSampler: counted('weights', uniformSampler) } : {}),
        },
      );
      // α far from uniform: the Gumbel sampler picks candidate 1 of every edge (p(other) ≈ e^-40).
      for (const a of supernet.archVariables()) a.assign(tf.tensor1d(Array.from({ length: a.size }, (_, i) => (i === 1 ? 40 : 0))));
      const weightPaths = new Set<number>();
      await search.fit({ steps: 6, deriveEvery: 6, onStep: () => Object.values(supernet.lastActive).forEach((p) => p.forEach((i) => weightPaths.add(i))) });
      expect(supernet.phase).toBe('weights');
      search.dispose();
      supernet.dispose();
      return { calls, weightPaths: [...weightPaths].sort() };
    };
    const labels = new Set(space.edges.map((e) => e.label)).size;
    const fair = await run('uniform');
    // 4 α steps (after the 2 warm-up steps) and 6 weight steps, one draw per edge label each.
    expect(fair.calls).toEqual({ arch: 4 * labels, weights: 6 * labels });
    expect(fair.weightPaths.length).toBeGreaterThan(3);
    const same = await run('same');
    expect(same.calls.arch).toBe(10 * labels);
    expect(same.weightPaths).toEqual([1]);
  });

  it('never keeps a warm-up snapshot as best once a snapshot after warm-up exists', async () => {
    // Step 1 is in the warm-up (α still at their random init); steps 3 and 5 follow α steps.
    const result = await fitWithScores(3, [0.9, 0.2, 0.5]);
    expect(result.history.map((h) => h.step)).toEqual([1, 3, 5]);
    expect(result.bestStep).toBe(5);
    expect(result.bestScore).toBe(0.5);
    expect(result.bestGenotype).toEqual(result.history[2]!.genotype);
  });

  it.each([
    [{ warmupSteps: -1 }, 'SearchTrainer: warmupSteps is -1, expected an integer ≥ 0'],
    [{ archLr: -1 }, 'SearchTrainer: archLr is -1, expected a finite number ≥ 0 (0 freezes α)'],
    [{ mode: 'alternate' as never }, "SearchTrainer: mode is 'alternate', expected 'bilevel' or 'joint'"],
  ])('rejects %j', (overrides, message) => {
    expect(() => makeSearch(5, overrides)).toThrow(SearchConfigError);
    expect(() => makeSearch(5, overrides)).toThrow(message);
  });

  it('a checkpoint whose search state was corrupted is refused, naming the fields', async () => {
    await withTempDir(async (dir) => {
      const a = makeSearch(21);
      await a.search.fit({ steps: 2, deriveEvery: 2, checkpointDir: dir });
      const step = (await readdir(dir)).find((f) => f.startsWith('step-'))!;
      const file = join(dir, step, 'state.json');
      const state = JSON.parse(await readFile(file, 'utf8'));
      state.extra.user.history[0].genotype.choices = { nonsense: 'conv-3x3x3' };
      state.extra.user.archSteps = -2;
      await writeFile(file, JSON.stringify(state));
      const b = makeSearch(21);
      const message = await b.search.loadCheckpoint(dir).then(() => '', (e: Error) => `${e.name}: ${e.message}`);
      expect(message).toMatch(/^SearchConfigError: SearchTrainer\.loadCheckpoint: the checkpoint's search state is not valid: history\.0\.genotype: .*; archSteps: Too small/);
      for (const s of [a, b]) {
        s.search.dispose();
        s.supernet.dispose();
      }
    });
  });

  it('rejects one source for both weights and α', () => {
    const src = ballSource(1);
    expect(() => makeSearch(6, { weightData: src, archData: src })).toThrow(/same source/);
  });
});

describe('SearchTrainer search-time score', () => {
  it('scores the derived genotype\'s child with inherited weights: equal to that child evaluated separately', async () => {
    const { supernet, search } = makeSearch(11, { warmupSteps: 1 });
    // A validation "score": the mean logit of class 1 over a fixed input (any deterministic function of the network).
    const x = tf.randomNormal([1, SIZE, SIZE, SIZE, 1], 0, 1, 'float32', 3) as tf.Tensor5D;
    const score = async (net: { apply(x: tf.Tensor5D): tf.Tensor5D }) => {
      const y = net.apply(x);
      const v = (await tf.mean(tf.slice(y, [0, 0, 0, 0, 1], [-1, -1, -1, -1, 1])).data())[0]!;
      y.dispose();
      return v;
    };
    const seen: string[] = [];
    const result = await search.fit({
      steps: 4,
      deriveEvery: 4,
      validate: async (net) => {
        seen.push(net.constructor.name);
        return score(net);
      },
    });
    expect(seen).toEqual(['ChildNetwork']);
    // The same genotype, built separately with the supernet's final weights and evaluated on the same input.
    const child = buildChild(space, result.finalGenotype, { rng: new Rng(99), inheritFrom: supernet });
    child.eval();
    expect(result.history[0]!.score).toBe(await score(child));
    expect(result.bestScore).toBe(result.history[0]!.score);
    child.dispose();
    x.dispose();
    search.dispose();
    supernet.dispose();
  });
});

describe('SearchTrainer health checks', () => {
  it('warns when α is still near uniform late in the search (α learning rate 0)', async () => {
    const { supernet, search } = makeSearch(12, { archLr: 0, warmupSteps: 1 });
    const r = await search.fit({ steps: 6, deriveEvery: 2 });
    const late = r.history.flatMap((h) => h.warnings).filter((w) => w.code === 'alpha-near-uniform');
    expect(late.map((w) => w.step)).toEqual([3, 5]);
    expect(late[0]!.message).toMatch(/^α is still near uniform at step 4 of 6: mean edge entropy 1\.000/);
    search.dispose();
    supernet.dispose();
  });

  it('does not warn when α moves', async () => {
    const { supernet, search } = makeSearch(13, { archLr: 0.5, warmupSteps: 0 });
    const r = await search.fit({ steps: 6, deriveEvery: 3 });
    expect(r.history.flatMap((h) => h.warnings).filter((w) => w.code === 'alpha-near-uniform')).toEqual([]);
    search.dispose();
    supernet.dispose();
  });

  it('does not judge α during warm-up (it does not move by design)', async () => {
    const { supernet, search } = makeSearch(7, { warmupSteps: 6 });
    const r = await search.fit({ steps: 6, deriveEvery: 1 });
    expect(r.history.length).toBe(6);
    expect(r.history.flatMap((h) => h.warnings)).toEqual([]);
    search.dispose();
    supernet.dispose();
  });
});
