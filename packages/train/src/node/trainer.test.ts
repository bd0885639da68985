import * as tf from '@tensorflow/tfjs-core';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '@voxnas/core';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '@voxnas/core';
import { CheckpointError } from '../errors.js';
import { TinyNet } from '../../test/tiny-net.js';
import type { OptimizerSpec } from '../optimizer.js';
import { RunLog } from './run-log.js';
import type { Schedule } from '../schedule.js';
import { Trainer } from './trainer.js';
import type { BatchSource, TrainBatch } from '../batch.js';

const SHAPE = [9, 7, 5] as const; // x, y, z
const PATCH = [5, 4, 3] as const;

/** A fixed random image whose label is `image > 0.2`, cut into random patches (with random x flips). */
class PatchSource implements BatchSource {
  readonly image: Float32Array;
  constructor(
    private readonly rng: Rng,
    private readonly augment: Rng,
    private readonly batchSize = 2,
  ) {
    const r = new Rng(1234);
    this.image = Float32Array.from({ length: SHAPE[0] * SHAPE[1] * SHAPE[2] }, () => r.normal());
  }
  next(): TrainBatch {
    const [px, py, pz] = PATCH;
    const img = new Float32Array(this.batchSize * px * py * pz);
    const lab = new Float32Array(img.length * 2);
    for (let b = 0; b < this.batchSize; b++) {
      const x0 = this.rng.int(0, SHAPE[0] - px + 1);
      const y0 = this.rng.int(0, SHAPE[1] - py + 1);
      const z0 = this.rng.int(0, SHAPE[2] - pz + 1);
      const flip = this.augment.float() < 0.5;
      for (let z = 0, i = b * px * py * pz; z < pz; z++)
        for (let y = 0; y < py; y++)
          for (let x = 0; x < px; x++, i++) {
            const sx = flip ? x0 + px - 1 - x : x0 + x;
            const v = this.image[sx + SHAPE[0] * (y0 + y + SHAPE[1] * (z0 + z))]!;
            img[i] = v;
            lab[2 * i + (v > 0.2 ? 1 : 0)] = 1;
          }
    }
    return { image: tf.tensor5d(img, [this.batchSize, pz, py, px, 1]), label: tf.tensor5d(lab, [this.batchSize, pz, py, px, 2]) };
  }
  getState(): JsonValue {
    return this.rng.getState();
  }
  setState(state: JsonValue): void {
    this.rng.setState(state as ReturnType<Rng['getState']>);
  }
}

/** `Class: message (cause: message)` with the temp dir replaced by `<dir>`. */
async function messageOf(p: Promise<unknown>, dir: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${err.name}: ${err.message}${cause}`.split(dir).join('<dir>');
  }
  throw new Error('expected a rejection');
}

const loss = (out: tf.Tensor5D, b: TrainBatch) => tf.losses.softmaxCrossEntropy(b.label, out) as tf.Scalar;

function setup(seed: number, optimizer: OptimizerSpec, schedule: Schedule, extra?: { value: number }) {
  const root = new Rng(seed);
  const net = new TinyNet(root.fork('init'));
  const data = root.fork('data');
  const augment = root.fork('augment');
  const source = new PatchSource(data, augment);
  const trainer = new Trainer({
    network: net,
    optimizer,
    schedule,
    loss,
    data: source,
    rngs: { augment },
    clipGradNorm: 5,
    ...(extra
      ? {
          extraState: {
            save: () => ({ value: extra.value }),
            load: (s: JsonValue) => {
              extra.value = (s as { value: number }).value;
            },
          },
        }
      : {}),
  });
  return { net, trainer, dispose: () => (trainer.dispose(), net.dispose()) };
}

const CASES: Array<[string, OptimizerSpec, Schedule]> = [
  ['sgd nesterov + poly warm-up', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, { kind: 'poly', lr: 0.05, totalSteps: 10, warmupSteps: 2 }],
  ['adamw + cosine', { kind: 'adamw', weightDecay: 0.01 }, { kind: 'cosine', lr: 0.02, totalSteps: 10 }],
];

async function optimizerSlots(t: Trainer) {
  return (await t.optimizer.getState()).slots.map((s) => s.values);
}

describe('Trainer', () => {
  it.each(CASES)('%s: two runs with one seed give bit-identical weights', async (_t, opt, sch) => {
    await expectNoLeaks(async () => {
      const a = setup(3, opt, sch);
      const b = setup(3, opt, sch);
      const la = [];
      const lb = [];
      for (let i = 0; i < 6; i++) la.push((await a.trainer.step()).loss);
      for (let i = 0; i < 6; i++) lb.push((await b.trainer.step()).loss);
      expect(lb).toEqual(la);
      expect(b.net.weights()).toEqual(a.net.weights());
      const c = setup(4, opt, sch); // another seed differs
      await c.trainer.step();
      expect(c.net.weights()).not.toEqual(a.net.weights());
      [a, b, c].forEach((s) => s.dispose());
    });
  });

  it.each(CASES)('%s: stopped after 4 steps and resumed, ends bit-identical to an uninterrupted run', async (_t, opt, sch) => {
    await withTempDir(async (dir) => {
      await expectNoLeaks(async () => {
        const full = setup(5, opt, sch, { value: 0 });
        const fullLosses = [];
        for (let i = 0; i < 9; i++) fullLosses.push((await full.trainer.step()).loss);

        const extra = { value: 0 };
        const first = setup(5, opt, sch, extra);
        for (let i = 0; i < 4; i++) await first.trainer.step();
        first.trainer.recordScore(0.25);
        extra.value = 42;
        await first.trainer.saveCheckpoint(dir);
        first.dispose();

        // Fresh objects from a different seed: everything must come from the checkpoint.
        const extra2 = { value: -1 };
        const resumed = setup(77, opt, sch, extra2);
        const state = await resumed.trainer.loadCheckpoint(dir);
        expect(state).toEqual({ step: 4, bestScore: 0.25, bestStep: 4 });
        expect(extra2.value).toBe(42);
        const resumedLosses = [];
        for (let i = 4; i < 9; i++) resumedLosses.push((await resumed.trainer.step()).loss);
        expect(resumedLosses).toEqual(fullLosses.slice(4));
        expect(resumed.net.weights()).toEqual(full.net.weights());
        expect(await optimizerSlots(resumed.trainer)).toEqual(await optimizerSlots(full.trainer));
        expect(resumed.trainer.optimizer.step).toBe(9);
        full.dispose();
        resumed.dispose();
      });
    });
  });

  it('keeps tf.memory().numTensors constant across steps, and learns', async () => {
    const s = setup(6, { kind: 'adam' }, { kind: 'constant', lr: 0.03 });
    const counts: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      losses.push((await s.trainer.step()).loss);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(30))).toBeLessThan(0.7 * mean(losses.slice(0, 10)));
    s.dispose();
  });

  it('fit writes latest/best checkpoints and a log; a resumed fit matches an uninterrupted one', async () => {
    await withTempDir(async (dir) => {
      const sch: Schedule = { kind: 'poly', lr: 0.05, totalSteps: 12 };
      const opt: OptimizerSpec = { kind: 'sgd', momentum: 0.9 };
      // Validation score: a fixed sequence, best at the 2nd validation (after step 6).
      const scores = [0.5, 0.9, 0.7, 0.8];
      const validate = async (t: Trainer) => scores[t.stepsDone / 3 - 1]!;

      const full = setup(8, opt, sch);
      const ckA = join(dir, 'a');
      await full.trainer.fit({ steps: 12, checkpointDir: ckA, checkpointEvery: 5, validateEvery: 3, validate, log: new RunLog(join(dir, 'a.jsonl')) });
      expect((await readFile(join(ckA, 'latest'), 'utf8')).trim()).toBe('step-00000012');
      expect((await readFile(join(ckA, 'best'), 'utf8')).trim()).toBe('step-00000006');
      expect((await readdir(ckA)).sort()).toEqual(['best', 'latest', 'step-00000006', 'step-00000010', 'step-00000012']);
      expect(full.trainer.state()).toEqual({ step: 12, bestScore: 0.9, bestStep: 6 });

      const ckB = join(dir, 'b');
      const logB = new RunLog(join(dir, 'b.jsonl'));
      const part = setup(8, opt, sch);
      const crashing = async (t: Trainer) => {
        if (t.stepsDone === 9) throw new Error('killed');
        return validate(t);
      };
      // "Killed" during the validation after step 9: steps 7–9 happened after the last checkpoint (6).
      await expect(part.trainer.fit({ steps: 12, checkpointDir: ckB, checkpointEvery: 5, validateEvery: 3, validate: crashing, log: logB })).rejects.toThrow('killed');
      part.dispose();
      const resumed = setup(9, opt, sch);
      const st = await resumed.trainer.loadCheckpoint(ckB);
      expect(st).toEqual({ step: 6, bestScore: 0.9, bestStep: 6 });
      await logB.truncateFrom(st.step);
      await resumed.trainer.fit({ steps: 12, checkpointDir: ckB, checkpointEvery: 5, validateEvery: 3, validate, log: logB });
      expect(resumed.net.weights()).toEqual(full.net.weights());
      expect(resumed.trainer.state()).toEqual(full.trainer.state());
      // time and stepMs are wall-clock facts; everything else must match
      const strip = (rs: Array<Record<string, JsonValue>>) => rs.map(({ time: _t, stepMs: _s, ...r }) => JSON.stringify(r));
      const logA = await new RunLog(join(dir, 'a.jsonl')).read();
      expect(strip(await logB.read())).toEqual(strip(logA));
      expect(logA.filter((r) => r.type === 'step')).toHaveLength(12);
      for (const r of logA) {
        expect(Date.parse(r.time as string), JSON.stringify(r)).toBeGreaterThan(Date.now() - 600_000);
        if (r.type === 'step') expect(r.stepMs, JSON.stringify(r)).toBeGreaterThan(0);
        else expect(r.stepMs).toBeUndefined();
      }
      full.dispose();
      resumed.dispose();
    });
  });

  it('a crash while writing a checkpoint leaves the previous one loadable', async () => {
    await withTempDir(async (dir) => {
      const s = setup(10, { kind: 'adam' }, { kind: 'constant', lr: 0.01 });
      await s.trainer.step();
      await s.trainer.saveCheckpoint(dir);
      const saved = s.net.weights();
      await s.trainer.step();
      // Fail after the weights are written, while the optimiser state is being written.
      s.trainer.optimizer.getState = async () => {
        throw new Error('disk full');
      };
      expect(await messageOf(s.trainer.saveCheckpoint(dir), dir)).toMatchInlineSnapshot(`"CheckpointError: saveCheckpoint(<dir>): writing step-00000002 failed (cause: disk full)"`);
      expect((await readdir(dir)).sort()).toEqual(['latest', 'step-00000001']);
      const fresh = setup(11, { kind: 'adam' }, { kind: 'constant', lr: 0.01 });
      await fresh.trainer.loadCheckpoint(dir);
      expect(fresh.net.weights()).toEqual(saved);
      expect(fresh.trainer.stepsDone).toBe(1);
      s.dispose();
      fresh.dispose();
    });
  });

  it('saving a step again writes a new directory; pointers move only when it is complete', async () => {
    await withTempDir(async (dir) => {
      const extra = { value: 1 };
      const s = setup(13, { kind: 'adam' }, { kind: 'constant', lr: 0.01 }, extra);
      await s.trainer.step();
      await s.trainer.saveCheckpoint(dir, { pointers: ['latest', 'best'] });
      extra.value = 2;
      await s.trainer.saveCheckpoint(dir);
      expect((await readdir(dir)).sort()).toEqual(['best', 'latest', 'step-00000001', 'step-00000001-r1']);
      expect((await readFile(join(dir, 'latest'), 'utf8')).trim()).toBe('step-00000001-r1');
      const other = { value: 0 };
      const r = setup(14, { kind: 'adam' }, { kind: 'constant', lr: 0.01 }, other);
      await r.trainer.loadCheckpoint(dir);
      expect(other.value).toBe(2);
      await r.trainer.loadCheckpoint(dir, { name: 'best' });
      expect(other.value).toBe(1);
      s.dispose();
      r.dispose();
    });
  });

  it('reports missing or mismatched checkpoints', async () => {
    await withTempDir(async (dir) => {
      const s = setup(12, { kind: 'adam' }, { kind: 'constant', lr: 0.01 });
      await expect(s.trainer.loadCheckpoint(dir)).rejects.toThrow(CheckpointError);
      await s.trainer.saveCheckpoint(dir);
      const other = setup(12, { kind: 'sgd' }, { kind: 'constant', lr: 0.01 });
      const before = other.net.weights();
      expect(await messageOf(other.trainer.loadCheckpoint(dir), dir)).toMatchInlineSnapshot(`"CheckpointError: loadCheckpoint(<dir>/step-00000000): the checkpoint does not fit the network/optimisers (cause: Optimizer.setState: state is for 'adam', this optimiser is 'sgd')"`);
      expect(other.net.weights()).toEqual(before); // nothing loaded
      await expect(s.trainer.loadCheckpoint(dir, { name: 'best' })).rejects.toThrow(CheckpointError);
      s.dispose();
      other.dispose();
    });
  });

  it('a corrupted state.json or optimiser file is a CheckpointError naming the file and the fields', async () => {
    await withTempDir(async (dir) => {
      const s = setup(15, { kind: 'adam' }, { kind: 'constant', lr: 0.01 });
      await s.trainer.step();
      await s.trainer.saveCheckpoint(dir);
      const state = join(dir, 'step-00000001', 'state.json');
      const good = await readFile(state, 'utf8');
      const bad = JSON.parse(good);
      bad.step = -1;
      bad.rng.augment.words = [1, 2, 3];
      await writeFile(state, JSON.stringify(bad));
      expect(await messageOf(s.trainer.loadCheckpoint(dir), dir)).toMatchInlineSnapshot(`"CheckpointError: loadCheckpoint(<dir>/step-00000001): state.json is not a voxnas-checkpoint@1 state: step: Too small: expected number to be >=0; rng.augment.words: Too small: expected array to have exactly 4 items"`);
      await writeFile(state, good);
      const opt = join(dir, 'step-00000001', 'optimizer-weights.json');
      const o = JSON.parse(await readFile(opt, 'utf8'));
      o.paramSteps = { 'conv1/weight': 'one' };
      await writeFile(opt, JSON.stringify(o));
      expect(await messageOf(s.trainer.loadCheckpoint(dir), dir)).toMatchInlineSnapshot(`"CheckpointError: loadCheckpoint(<dir>/step-00000001/optimizer-weights.json): not a voxnas-optimizer@1 state: paramSteps.conv1/weight: Invalid input: expected number, received string"`);
      s.dispose();
    });
  });
});
