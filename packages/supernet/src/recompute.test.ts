import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import type { Shape5 } from '@voxnas/ops';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { buildChild } from './child.js';
import type { CellRecompute } from './cell-network.js';
import { heaviestChild } from './memory-estimate.js';
import type { SamplerConfig } from './sampler.js';
import { createSearchSpace, type SearchSpace } from './search-space.js';
import { Supernet } from './supernet.js';

const space = (candidates?: string[]): SearchSpace =>
  createSearchSpace({
    levels: 2,
    baseChannels: 4,
    ...(candidates ? { candidates: { 'encoder-normal': candidates, reduction: candidates, 'decoder-normal': candidates, expansion: candidates } } : {}),
  });

/** Cross-entropy of the logits against fixed one-hot labels. */
function crossEntropy(logits: tf.Tensor5D, labels: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

function batch(shape: Shape5, classes: number): { x: tf.Tensor5D; y: tf.Tensor } {
  const x = tf.randomNormal([...shape], 0, 1, 'float32', 11) as tf.Tensor5D;
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, classes, 'int32', 12), classes));
  return { x, y };
}

/** Loss and gradients (by variable path) of one step of `net`. */
function step(
  net: { apply(x: tf.Tensor5D): tf.Tensor5D; namedVariables(): Array<{ path: string; variable: tf.Variable; trainable: boolean }> },
  x: tf.Tensor5D,
  y: tf.Tensor,
): { loss: number; grads: Map<string, Float32Array> } {
  const named = net.namedVariables().filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => crossEntropy(net.apply(x), y), named.map((v) => v.variable));
  const out = new Map<string, Float32Array>();
  for (const { path, variable } of named) if (grads[variable.name] !== undefined) out.set(path, grads[variable.name]!.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

function expectSameStep(a: ReturnType<typeof step>, b: ReturnType<typeof step>): void {
  expect(a.loss).toBeCloseTo(b.loss, 5);
  expect([...a.grads.keys()].sort()).toEqual([...b.grads.keys()].sort());
  for (const [path, g] of b.grads) expectClose(a.grads.get(path)!, g, { atol: 1e-5, rtol: 1e-4 });
}

async function peakBytes(fn: () => void): Promise<number> {
  await new Promise((r) => setImmediate(r)); // let vitest's worker answer its RPC between long synchronous steps
  return (await tf.profile(fn)).peakBytes;
}

const shape: Shape5 = [1, 8, 10, 12, 1];

describe("recompute: 'cell' and 'edge' (activation recomputation per cell, and per edge operator inside)", () => {
  it.each([
    { name: 'gumbel k=1, 6 candidates', candidates: undefined, sampler: { kind: 'gumbel', k: 1 } as SamplerConfig, mode: 'cell' as CellRecompute },
    { name: 'gumbel k=2, 3 candidates', candidates: ['zero', 'sep-conv-3x3x3', 'conv-3x3x3'], sampler: { kind: 'gumbel', k: 2 } as SamplerConfig, mode: 'cell' as CellRecompute },
    { name: 'full (DARTS), 3 candidates', candidates: ['identity', 'p3d-3x3x1', 'conv-3x3x3'], sampler: { kind: 'full' } as SamplerConfig, mode: 'cell' as CellRecompute },
    { name: 'gumbel k=1, 6 candidates', candidates: undefined, sampler: { kind: 'gumbel', k: 1 } as SamplerConfig, mode: 'edge' as CellRecompute },
    { name: 'gumbel k=2, 3 candidates', candidates: ['zero', 'sep-conv-3x3x3', 'conv-3x3x3'], sampler: { kind: 'gumbel', k: 2 } as SamplerConfig, mode: 'edge' as CellRecompute },
  ])('supernet $name, recompute $mode: the same loss, weight and α gradients as without; nothing leaks; lower peak', async ({ candidates, sampler, mode }) => {
    const s = space(candidates);
    await expectNoLeaks(async () => {
      const { x, y } = batch(shape, s.macro.classes);
      // Same seed: the same initial weights, α and sampled paths in both networks.
      const plain = new Supernet(s, { rng: new Rng(3), sampler, tau: 0.7 });
      const recomputed = new Supernet(s, { rng: new Rng(3), sampler, tau: 0.7, recompute: mode });
      expect(recomputed.recompute).toBe(mode);
      const a = step(recomputed, x, y);
      const b = step(plain, x, y);
      expect(recomputed.lastActive).toEqual(plain.lastActive);
      expect([...a.grads.keys()].filter((p) => p.startsWith('arch/'))).toHaveLength(recomputed.archVariables().length);
      expectSameStep(a, b);
      // Peak of the next step (the same draw again: the sampler streams are still in step).
      const vars = [...plain.weightVariables(), ...plain.archVariables()];
      const rvars = [...recomputed.weightVariables(), ...recomputed.archVariables()];
      const run = (net: Supernet, v: tf.Variable[]) => () => {
        const r = tf.variableGrads(() => crossEntropy(net.apply(x), y), v);
        tf.dispose([r.value, ...Object.values(r.grads)]);
      };
      const peakPlain = await peakBytes(run(plain, vars));
      const peakRecomputed = await peakBytes(run(recomputed, rvars));
      expect(recomputed.lastActive).toEqual(plain.lastActive);
      expect(peakRecomputed).toBeLessThan(0.8 * peakPlain);
      tf.dispose([x, y]);
      plain.dispose();
      recomputed.dispose();
    });
  });

  it('child network (the heaviest child of the default space): same loss and gradients; nothing leaks; lower peak', async () => {
    const s = space();
    await expectNoLeaks(async () => {
      const { x, y } = batch(shape, s.macro.classes);
      const genotype = heaviestChild(s, shape);
      const plain = buildChild(s, genotype, { rng: new Rng(4) });
      const recomputed = buildChild(s, genotype, { rng: new Rng(4), recompute: 'cell' });
      expectSameStep(step(recomputed, x, y), step(plain, x, y));
      const run = (net: typeof plain) => () => {
        const r = tf.variableGrads(() => crossEntropy(net.apply(x), y), net.trainableVariables());
        tf.dispose([r.value, ...Object.values(r.grads)]);
      };
      const peakPlain = await peakBytes(run(plain));
      const peakRecomputed = await peakBytes(run(recomputed));
      expect(peakRecomputed).toBeLessThan(0.8 * peakPlain);
      // A segment per edge operator inside each cell: the same gradients again, a lower peak still.
      recomputed.setRecompute('edge');
      expectSameStep(step(recomputed, x, y), step(plain, x, y));
      expect(await peakBytes(run(recomputed))).toBeLessThan(peakRecomputed);
      // Switching it off gives the plain network back.
      recomputed.setRecompute('none');
      expectSameStep(step(recomputed, x, y), step(plain, x, y));
      tf.dispose([x, y]);
      plain.dispose();
      recomputed.dispose();
    });
  });

  it('eval-mode forward (no tape) is unchanged', async () => {
    const s = space();
    await expectNoLeaks(() => {
      const { x, y } = batch(shape, s.macro.classes);
      const plain = new Supernet(s, { rng: new Rng(8) }).eval();
      const recomputed = new Supernet(s, { rng: new Rng(8), recompute: 'cell' }).eval();
      const a = plain.apply(x);
      const b = recomputed.apply(x);
      expectClose(b.dataSync(), a.dataSync(), { atol: 0, rtol: 0 });
      tf.dispose([a, b, x, y]);
      plain.dispose();
      recomputed.dispose();
    });
  });

  it('rejects an unknown mode', () => {
    const net = new Supernet(space(['zero', 'identity']), { rng: new Rng(1) });
    expect(() => net.setRecompute('level' as CellRecompute)).toThrow(InvalidArgumentError);
    expect(() => net.setRecompute('level' as CellRecompute)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: Supernet.setRecompute: mode is "level", expected 'none', 'cell' or 'edge']`,
    );
    net.dispose();
  });
});
