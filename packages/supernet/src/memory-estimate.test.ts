import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { initBackend, type Shape5 } from '@voxnas/ops';
import { expectNoLeaks } from '@voxnas/testing';
import { buildChild } from './child.js';
import { estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from './memory-estimate.js';
import type { Sampler } from './sampler.js';
import { createSearchSpace, type SearchSpace } from './search-space.js';
import { Supernet } from './supernet.js';

/** Measured reference: `tf.profile` peak bytes of one forward + backward (gradients of `vars`). */
async function measuredPeak(net: { apply(x: tf.Tensor5D): tf.Tensor5D }, vars: tf.Variable[], shape: Shape5, classes: number): Promise<number> {
  // A step is one long synchronous block: yield first so vitest's worker answers its RPC in time.
  await new Promise((r) => setImmediate(r));
  const x = tf.randomNormal([...shape], 0, 1, 'float32', 1) as tf.Tensor5D;
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, classes, 'int32', 2), classes));
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const peak = info.peakBytes;
  tf.dispose([x, y]);
  return peak;
}

/**
 * Runs exactly the paths the estimate assumed (`active` per label, in the order the supernet asks:
 * its labels in `space.edges` order), weight 1/k, with a (zero) gradient to α.
 */
function fixedPaths(space: SearchSpace, active: Readonly<Record<string, readonly number[]>>): Sampler {
  const labels = [...new Set(space.edges.map((e) => e.label))];
  let i = 0;
  return (logits) => {
    const a = active[labels[i++ % labels.length]!]!;
    const w = new Float32Array(logits.size);
    for (const j of a) w[j] = 1 / a.length;
    return { weights: tf.add(tf.mul(logits, 0), tf.tensor1d(w)) as tf.Tensor1D, active: a };
  };
}

const small = (candidates?: string[]) =>
  createSearchSpace({
    levels: 2,
    baseChannels: 4,
    ...(candidates ? { candidates: { 'encoder-normal': candidates, reduction: candidates, 'decoder-normal': candidates, expansion: candidates } } : {}),
  });

describe('estimateSearchStepMemory / estimateChildStepMemory: within 25% of the measured tf.profile peak (cpu)', () => {
  it.each([
    { name: 'supernet gumbel k=1 (its worst draw), 6 candidates, 16³ × 1', space: small(), sampler: { kind: 'gumbel', k: 1 } as const, shape: [1, 16, 16, 16, 1] as Shape5 },
    { name: 'supernet full (DARTS), 3 candidates, 16³ × 1', space: small(['zero', 'identity', 'conv-3x3x3']), sampler: { kind: 'full' } as const, shape: [1, 16, 16, 16, 1] as Shape5 },
    { name: 'supernet gumbel k=2, 3 candidates, 8×16×16 × 2', space: small(['zero', 'p3d-3x3x1', 'conv-3x3x3']), sampler: { kind: 'gumbel', k: 2 } as const, shape: [2, 8, 16, 16, 1] as Shape5 },
  ])('$name', async ({ space, sampler, shape }) => {
    const estimate = estimateSearchStepMemory(space, { inputShape: shape, sampler, optimizer: 'none' });
    const measured = await expectNoLeaks(async () => {
      const net = new Supernet(space, { rng: new Rng(7), sampler: fixedPaths(space, estimate.active) });
      expect(estimate.params).toBe(net.parameterCount() + net.archVariables().reduce((s, v) => s + v.size, 0));
      const peak = await measuredPeak(net, [...net.weightVariables(), ...net.archVariables()], shape, space.macro.classes);
      net.dispose();
      return peak;
    });
    expect(estimate.totalBytes / measured).toBeGreaterThan(0.75);
    expect(estimate.totalBytes / measured).toBeLessThan(1.25);
  });

  it('heaviest child of the default candidates, 16³ × 1', async () => {
    const space = small();
    const shape: Shape5 = [1, 16, 16, 16, 1];
    const genotype = heaviestChild(space, shape);
    const estimate = estimateChildStepMemory(genotype, { inputShape: shape, optimizer: 'none' });
    const measured = await expectNoLeaks(async () => {
      const child = buildChild(space, genotype, { rng: new Rng(7) });
      expect(estimate.params).toBe(child.parameterCount());
      const peak = await measuredPeak(child, child.trainableVariables(), shape, space.macro.classes);
      child.dispose();
      return peak;
    });
    expect(estimate.totalBytes / measured).toBeGreaterThan(0.75);
    expect(estimate.totalBytes / measured).toBeLessThan(1.25);
  });
});

describe("recompute: 'cell' / 'edge' — within 25% of the measured tf.profile peak of a recomputed step (cpu)", () => {
  it.each(['cell', 'edge'] as const)('%s: supernet gumbel k=1 at its worst draw and the heaviest child, 16×16×24 × 1', async (mode) => {
    const space = small();
    const shape: Shape5 = [1, 16, 16, 24, 1];
    const search = estimateSearchStepMemory(space, { inputShape: shape, optimizer: 'none', recompute: mode });
    const genotype = heaviestChild(space, shape);
    const child = estimateChildStepMemory(genotype, { inputShape: shape, optimizer: 'none', recompute: mode });
    // the same forward activations, a smaller tape
    const plainSearch = estimateSearchStepMemory(space, { inputShape: shape, optimizer: 'none' });
    expect(search.activationBytes).toBe(plainSearch.activationBytes);
    expect(search.totalBytes).toBeLessThan(0.6 * plainSearch.totalBytes);
    const [searchPeak, childPeak] = await expectNoLeaks(async () => {
      const net = new Supernet(space, { rng: new Rng(7), sampler: fixedPaths(space, search.active), recompute: mode });
      const a = await measuredPeak(net, [...net.weightVariables(), ...net.archVariables()], shape, 2);
      net.dispose();
      const c = buildChild(space, genotype, { rng: new Rng(7), recompute: mode });
      const b = await measuredPeak(c, c.trainableVariables(), shape, 2);
      c.dispose();
      return [a, b];
    });
    for (const [e, m] of [[search.totalBytes, searchPeak], [child.totalBytes, childPeak]] as const) {
      expect(e / m).toBeGreaterThan(0.75);
      expect(e / m).toBeLessThan(1.25);
    }
  });

  it('an unknown mode is an InvalidArgumentError', () => {
    expect(() => estimateSearchStepMemory(small(), { inputShape: [1, 16, 16, 16, 1], recompute: 'level' as 'cell' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: estimateSearchStepMemory: options.recompute is "level", expected 'none', 'cell' or 'edge']`,
    );
  });
});

const quiet = { logger: () => {} };
// whether the native kernels are available here (always in CI); the js tests above and below run on cpu
const probe = await initBackend(quiet);
await initBackend({ ...quiet, backend: 'cpu' });
const skipNative = !probe.native && !process.env.CI;

describe.skipIf(skipNative)(`kernels: 'native' — within 25% of the measured peak with @voxnas/kernels${skipNative ? ` [skipped: ${probe.notes.join('; ')}]` : ''}`, () => {
  beforeAll(() => initBackend(quiet));
  afterAll(() => initBackend({ ...quiet, backend: 'cpu' }));

  it('supernet gumbel k=1 (worst draw) and the heaviest child, 16³ × 1', async () => {
    const space = small();
    const shape: Shape5 = [1, 16, 16, 16, 1];
    const search = estimateSearchStepMemory(space, { inputShape: shape, optimizer: 'none', kernels: 'native' });
    const genotype = heaviestChild(space, shape);
    const child = estimateChildStepMemory(genotype, { inputShape: shape, optimizer: 'none', kernels: 'native' });
    const [searchPeak, childPeak] = await expectNoLeaks(async () => {
      const net = new Supernet(space, { rng: new Rng(7), sampler: fixedPaths(space, search.active) });
      const a = await measuredPeak(net, [...net.weightVariables(), ...net.archVariables()], shape, 2);
      net.dispose();
      const c = buildChild(space, genotype, { rng: new Rng(7) });
      const b = await measuredPeak(c, c.trainableVariables(), shape, 2);
      c.dispose();
      return [a, b];
    });
    for (const [e, m] of [[search.totalBytes, searchPeak], [child.totalBytes, childPeak]] as const) {
      expect(e / m).toBeGreaterThan(0.75);
      expect(e / m).toBeLessThan(1.25);
    }
  });
});

describe('estimates without allocating', () => {
  it('the paper-size space at 96×96×64 × 2 allocates no tensor and orders full > gumbel k=1 > its heaviest child', () => {
    const space = createSearchSpace({ levels: 4, baseChannels: 16 });
    const shape: Shape5 = [2, 64, 96, 96, 1];
    const before = tf.memory().numTensors;
    const full = estimateSearchStepMemory(space, { inputShape: shape, sampler: { kind: 'full' } });
    const g1 = estimateSearchStepMemory(space, { inputShape: shape });
    const child = estimateChildStepMemory(heaviestChild(space, shape), { inputShape: shape });
    expect(tf.memory().numTensors).toBe(before);
    expect(full.totalBytes).toBeGreaterThan(g1.totalBytes);
    expect(g1.totalBytes).toBeGreaterThan(child.totalBytes);
    expect(g1.sampler).toBe('gumbel k=1');
    expect(Object.values(g1.active).every((a) => a.length === 1)).toBe(true);
    // Adam: two moments per trained parameter
    expect(g1.optimizerBytes).toBe(8 * g1.params);
  });

  it('scales with the batch: twice the batch, twice the tape bytes', () => {
    const space = small();
    const a = estimateSearchStepMemory(space, { inputShape: [1, 16, 16, 16, 1] });
    const b = estimateSearchStepMemory(space, { inputShape: [2, 16, 16, 16, 1] });
    expect(b.tapeBytes / a.tapeBytes).toBeCloseTo(2, 6);
  });
});

describe('errors', () => {
  it('a patch breaking the size rule is a ShapeMismatchError', () => {
    expect(() => estimateSearchStepMemory(small(), { inputShape: [1, 15, 16, 16, 1] })).toThrow(ShapeMismatchError);
    expect(() => estimateChildStepMemory(heaviestChild(small(), [1, 16, 16, 16, 1]), { inputShape: [1, 16, 16, 16, 3] })).toThrow(ShapeMismatchError);
  });
  it('a malformed shape or k out of range is an InvalidArgumentError', () => {
    expect(() => estimateSearchStepMemory(small(), { inputShape: [1, 16, 16] as unknown as Shape5 })).toThrow(InvalidArgumentError);
    expect(() => estimateSearchStepMemory(small(), { inputShape: [1, 16, 16, 16, 1], sampler: { kind: 'gumbel', k: 7 } })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: estimateSearchStepMemory: gumbel k must be an integer in [1, 6] (the fewest candidates of an edge), got 7]`);
  });
});
