import { loadWeights, saveWeights } from '@voxnas/ops/node';
import * as tf from '@tensorflow/tfjs-core';
import { UnknownOperatorError } from '@voxnas/ops';
import { expectClose, expectNoLeaks, withTempDir } from '@voxnas/testing';
import { Rng, ShapeMismatchError } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { createSearchSpace, type CellType } from './search-space.js';
import { Supernet } from './supernet.js';

const SMALL = ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1'];
const smallSpace = (nodes: number) =>
  createSearchSpace({
    levels: 2,
    baseChannels: 2,
    nodes,
    candidates: { 'encoder-normal': SMALL, reduction: SMALL, 'decoder-normal': SMALL, expansion: SMALL },
  });

function randomInput(shape: [number, number, number, number, number], seed: number): tf.Tensor5D {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape) as tf.Tensor5D;
}

/** Maps an edge weight path `enc0/edge.in0-n1/conv-3x3x3/...` to its label and operator. */
function edgeOf(path: string, net: Supernet): { label: string; op: string } | undefined {
  const [cellId, edge, op] = path.split('/');
  if (!edge?.startsWith('edge.')) return undefined;
  const type: CellType = net.layout.find((c) => c.id === cellId)!.type;
  const [from, to] = edge.slice(5).split('-');
  return { label: `${type}.${from}->${to}`, op: op! };
}

describe('Supernet', () => {
  it('gumbel k=1: only sampled operators get weight gradients; α gets gradient through them', async () => {
    await expectNoLeaks(() => {
      const space = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 2 });
      const net = new Supernet(space, { rng: new Rng(3), sampler: { kind: 'gumbel', k: 1 } });
      const x = randomInput([1, 6, 8, 10, 1], 1);
      const target = randomInput([1, 6, 8, 10, 2], 2);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(net.apply(x), target)) as tf.Scalar,
        [...net.weightVariables(), ...net.archVariables()],
      );
      const active = net.lastActive;
      let sampledWithGrad = 0;
      for (const { path, variable } of net.namedVariables()) {
        if (path.startsWith('arch/')) continue;
        const e = edgeOf(path, net);
        const g = grads[variable.name];
        if (e === undefined) {
          expect(g, path).toBeDefined(); // stem, pre-processing, projections, head always run
          continue;
        }
        const candidates = space.edges.find((s) => s.label === e.label)!.candidates;
        const sampled = active[e.label]!.map((i) => candidates[i]);
        expect(g !== undefined, `${path} (sampled: ${sampled.join(', ')})`).toBe(sampled.includes(e.op));
        if (g !== undefined) sampledWithGrad++;
      }
      expect(sampledWithGrad).toBeGreaterThan(0);
      space.edges.forEach((edge, k) => {
        const g = Array.from(grads[net.archVariables()[k]!.name]!.dataSync());
        const op = edge.candidates[active[edge.label]![0]!];
        // softmax Jacobian rows sum to zero; the sampled `zero` path carries no signal.
        expect(Math.abs(g.reduce((a, b) => a + b, 0))).toBeLessThan(1e-4 * Math.max(1, ...g.map(Math.abs)));
        if (op === 'zero') expect(g.every((v) => v === 0)).toBe(true);
      });
      const nonZeroArch = space.edges.filter((_e, k) => grads[net.archVariables()[k]!.name]!.dataSync().some((v) => v !== 0));
      expect(nonZeroArch.length).toBeGreaterThan(space.edges.length / 2);
      tf.dispose([value, x, target, ...Object.values(grads)]);
      net.dispose();
    });
  });

  it('full: every candidate gets weight gradients; α gradient matches central finite differences', async () => {
    await expectNoLeaks(() => {
      const space = smallSpace(1);
      const net = new Supernet(space, { rng: new Rng(5), sampler: { kind: 'full' }, alphaInitStd: 0.5 });
      const x = randomInput([1, 6, 6, 8, 1], 3);
      const target = randomInput([1, 6, 6, 8, 2], 4);
      const loss = () => tf.sum(tf.mul(net.apply(x), target)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, [...net.weightVariables(), ...net.archVariables()]);
      for (const v of net.weightVariables()) expect(grads[v.name]).toBeDefined();
      // Decoder-side labels: the deep encoder ones pass many InstanceNorms on 3×3×4 grids, so their loss is
      // too curved for float32 central differences (they converge only slowly as eps shrinks).
      const probes: Array<[number, number]> = [
        [4, 1],
        [5, 2],
        [6, 3],
        [7, 1],
      ];
      const eps = 3e-3;
      const fd: number[] = [];
      const an: number[] = [];
      for (const [k, i] of probes) {
        const alpha = net.archVariables()[k]!;
        const base = Array.from(alpha.dataSync());
        const at = (d: number) =>
          tf.tidy(() => {
            alpha.assign(tf.tensor1d(base.map((a, j) => (j === i ? a + d : a))));
            return loss().dataSync()[0]!;
          });
        fd.push((at(eps) - at(-eps)) / (2 * eps));
        tf.tidy(() => alpha.assign(tf.tensor1d(base)));
        an.push(grads[alpha.name]!.dataSync()[i]!);
      }
      expectClose(an, fd, { atol: 3e-3, rtol: 3e-2 });
      expect(Math.max(...an.map(Math.abs))).toBeGreaterThan(0.1);
      tf.dispose([value, x, target, ...Object.values(grads)]);
      net.dispose();
    });
  });

  it('a search loop (α step, then weight step) keeps the tensor count stable', async () => {
    await expectNoLeaks(() => {
      const net = new Supernet(smallSpace(2), { rng: new Rng(9) });
      const x = randomInput([1, 6, 6, 8, 1], 5);
      const target = randomInput([1, 6, 6, 8, 2], 6);
      const archOpt = tf.train.adam(3e-3);
      const weightOpt = tf.train.adam(1e-2);
      const loss = () => tf.mean(tf.square(tf.sub(net.apply(x), target))) as tf.Scalar;
      const counts: number[] = [];
      const before = net.alphaValues();
      for (let step = 0; step < 3; step++) {
        archOpt.minimize(loss, false, net.archVariables());
        weightOpt.minimize(loss, false, net.weightVariables());
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(net.alphaValues()).not.toEqual(before);
      tf.dispose([x, target]);
      archOpt.dispose();
      weightOpt.dispose();
      net.dispose();
    });
  });

  it("alphaSharing 'cell': logits α + β; gradients equal the per-edge supernet's, summed over each type's edges for β", async () => {
    await expectNoLeaks(() => {
      const space = smallSpace(2);
      const shared = new Supernet(space, { rng: new Rng(5), sampler: { kind: 'full' }, alphaInitStd: 0.5, alphaSharing: 'cell' });
      const plain = new Supernet(space, { rng: new Rng(5), sampler: { kind: 'full' }, alphaInitStd: 0.5 });
      const cells = ['encoder-normal', 'reduction', 'decoder-normal', 'expansion'];
      const betaOf = (cell: string) => shared.namedVariables().find((v) => v.path === `arch/${cell}`)!.variable;
      expect(shared.archVariables()).toHaveLength(space.edges.length + cells.length);
      // β covers the non-zero candidates of SMALL: identity, conv-3x3x3, p3d-3x3x1
      const rng = new Rng(11);
      const beta = Object.fromEntries(cells.map((c) => [c, [rng.normal(), rng.normal(), rng.normal()].map(Math.fround)]));
      tf.tidy(() => cells.forEach((c) => betaOf(c).assign(tf.tensor1d(beta[c]!))));
      // the reference: a per-edge supernet (same weights) whose α is the summed logits
      const summed = space.edges.map((e, k) => {
        const a = Array.from(plain.archVariables()[k]!.dataSync());
        return a.map((x, i) => (i === 0 ? x : x + beta[e.cell]![i - 1]!));
      });
      tf.tidy(() => space.edges.forEach((_, k) => plain.archVariables()[k]!.assign(tf.tensor1d(summed[k]!))));
      expect(Object.values(shared.alphaValues()).map((v) => v.map((x) => Math.fround(x)))).toEqual(
        Object.values(plain.alphaValues()).map((v) => v.map((x) => Math.fround(x))),
      );
      const x = randomInput([1, 6, 6, 8, 1], 3);
      const target = randomInput([1, 6, 6, 8, 2], 4);
      const gradsOf = (net: Supernet) => tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), target)) as tf.Scalar, net.archVariables());
      const s = gradsOf(shared);
      const p = gradsOf(plain);
      expectClose([s.value.dataSync()[0]!], [p.value.dataSync()[0]!], { rtol: 1e-5 });
      const edgeGrads = space.edges.map((_, k) => Array.from(p.grads[plain.archVariables()[k]!.name]!.dataSync()));
      space.edges.forEach((_, k) => {
        expectClose(Array.from(s.grads[shared.archVariables()[k]!.name]!.dataSync()), edgeGrads[k]!, { atol: 1e-5, rtol: 1e-4 });
      });
      for (const cell of cells) {
        const expected = [0, 0, 0];
        space.edges.forEach((e, k) => {
          if (e.cell === cell) for (let i = 1; i < 4; i++) expected[i - 1]! += edgeGrads[k]![i]!;
        });
        expectClose(Array.from(s.grads[betaOf(cell).name]!.dataSync()), expected, { atol: 1e-5, rtol: 1e-4 });
        expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(1e-3);
      }
      tf.dispose([x, target, s.value, p.value, ...Object.values(s.grads), ...Object.values(p.grads)]);
      shared.dispose();
      plain.dispose();
    });
  });

  it("alphaSharing 'cell': β saved and loaded as arch/<cell type>; a gumbel search loop moves it without leaks; bad values are typed errors", async () => {
    await expectNoLeaks(async () => {
      const space = smallSpace(2);
      const a = new Supernet(space, { rng: new Rng(1), alphaSharing: 'cell' });
      expect(a.alphaSharing).toBe('cell');
      expect(a.namedVariables().filter((v) => v.path.startsWith('arch/') && !v.path.includes('.')).map((v) => v.path)).toEqual([
        'arch/encoder-normal',
        'arch/reduction',
        'arch/decoder-normal',
        'arch/expansion',
      ]);
      const x = randomInput([1, 6, 6, 8, 1], 5);
      const target = randomInput([1, 6, 6, 8, 2], 6);
      const archOpt = tf.train.adam(0.1);
      const loss = () => tf.mean(tf.square(tf.sub(a.apply(x), target))) as tf.Scalar;
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        archOpt.minimize(loss, false, a.archVariables());
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(1)).size).toBe(1);
      const betas = a.archVariables().slice(space.edges.length);
      expect(betas.some((b) => Array.from(b.dataSync()).some((v) => v !== 0))).toBe(true);
      const b = new Supernet(space, { rng: new Rng(2), alphaSharing: 'cell' });
      await withTempDir(async (dir) => {
        await saveWeights(a, dir);
        await loadWeights(b, dir);
      });
      expect(b.alphaValues()).toEqual(a.alphaValues());
      expect(() => new Supernet(space, { rng: new Rng(1), alphaSharing: 'type' as 'cell' })).toThrow(/alphaSharing is "type", expected 'edge' or 'cell'/);
      tf.dispose([x, target]);
      archOpt.dispose();
      a.dispose();
      b.dispose();
    });
  });

  it('arch and weight variables are separate; save/load restores both', async () => {
    await expectNoLeaks(async () => {
      const space = smallSpace(2);
      const a = new Supernet(space, { rng: new Rng(1) });
      const arch = new Set(a.archVariables());
      expect(a.archVariables()).toHaveLength(space.edges.length);
      expect(a.weightVariables().some((v) => arch.has(v))).toBe(false);
      expect(a.trainableVariables()).toEqual(a.weightVariables());
      expect(a.namedVariables().filter((v) => v.path.startsWith('arch/')).map((v) => v.path)).toEqual(
        space.edges.map((e) => `arch/${e.label.replace('->', '-')}`),
      );
      tf.tidy(() => a.archVariables()[2]!.assign(tf.tensor1d([0, 0, 4, 0])));
      const b = new Supernet(space, { rng: new Rng(2) });
      await withTempDir(async (dir) => {
        await saveWeights(a, dir);
        await loadWeights(b, dir);
      });
      expect(b.alphaValues()).toEqual(a.alphaValues());
      const x = randomInput([1, 6, 6, 8, 1], 7);
      a.eval();
      b.eval();
      const ya = a.apply(x);
      const yb = b.apply(x);
      expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
      expect(b.lastActive[space.edges[2]!.label]).toEqual([2]);
      tf.dispose([x, ya, yb]);
      a.dispose();
      b.dispose();
    });
  });

  it('same seed → same weights, α and sampled paths; eval mode runs argmax α', async () => {
    await expectNoLeaks(() => {
      const space = smallSpace(2);
      const x = randomInput([1, 6, 6, 8, 1], 8);
      const run = () => {
        const net = new Supernet(space, { rng: new Rng(11), tau: 0.5 });
        const y1 = net.apply(x);
        const paths = net.lastActive;
        const out = { y: Array.from(y1.dataSync()), paths, alpha: net.alphaValues() };
        net.eval();
        const y2 = net.apply(x);
        const argmax = Object.fromEntries(Object.entries(out.alpha).map(([l, a]) => [l, [a.indexOf(Math.max(...a))]]));
        expect(net.lastActive).toEqual(argmax);
        tf.dispose([y1, y2]);
        net.dispose();
        return out;
      };
      const r1 = run();
      const r2 = run();
      expect(r2).toEqual(r1);
      x.dispose();
    });
  });

  it('typed errors: input size rule, unknown operator, bad τ', async () => {
    const space = smallSpace(1);
    const net = new Supernet(space, { rng: new Rng(1) });
    expect(net.minInputSize).toEqual([4, 4, 4]);
    await expectNoLeaks(() => {
      const x = tf.zeros([1, 6, 6, 7, 1]) as tf.Tensor5D;
      expect(() => net.apply(x)).toThrow(ShapeMismatchError);
      expect(() => net.apply(x)).toThrowErrorMatchingInlineSnapshot(
        `[ShapeMismatchError: Supernet.apply: spatial size [6, 6, 7] (z, y, x) must be multiples of 2 = 2^(levels−1) and at least [4, 4, 4], expected e.g. [6, 6, 8] (pad or crop the input)]`,
      );
      const y = tf.zeros([1, 6, 6, 8, 3]) as tf.Tensor5D;
      expect(() => net.apply(y)).toThrowErrorMatchingInlineSnapshot(
        `[ShapeMismatchError: Supernet.apply: input has 3 channel(s) (last axis of [1, 6, 6, 8, 3]), expected 1]`,
      );
      tf.dispose([x, y]);
    });
    expect(() => net.setTemperature(0)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: Supernet: tau must be a finite number > 0, got 0]`);
    expect(() => net.setPhase('alpha' as never)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: Supernet.setPhase: phase is "alpha", expected 'weights' or 'arch']`);
    net.dispose();
    const bad = createSearchSpace({ levels: 2, candidates: { reduction: ['zero', 'conv-3x3x5'] } });
    expect(() => new Supernet(bad, { rng: new Rng(1) })).toThrow(UnknownOperatorError);
  });

  it('draws training paths from weightSampler in the weights phase and from sampler in the arch phase', () => {
    const space = createSearchSpace({ levels: 2, baseChannels: 2, nodes: 2 });
    const net = new Supernet(space, { rng: new Rng(5), sampler: { kind: 'gumbel', k: 1 }, weightSampler: { kind: 'uniform' } });
    // α far from uniform: Gumbel picks candidate 2 of every edge (p(other) ≈ e^-40); uniform ignores α.
    for (const a of net.archVariables()) a.assign(tf.tensor1d(Array.from({ length: a.size }, (_, i) => (i === 2 ? 40 : 0))));
    const x = tf.randomNormal([1, 6, 6, 6, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    const paths = (phase: 'weights' | 'arch') => {
      net.setPhase(phase);
      const seen = new Set<number>();
      for (let i = 0; i < 4; i++) {
        tf.dispose(net.apply(x));
        for (const p of Object.values(net.lastActive)) p.forEach((j) => seen.add(j));
      }
      return [...seen].sort();
    };
    net.train(true);
    expect(net.phase).toBe('weights');
    expect(paths('arch')).toEqual([2]);
    expect(paths('weights').length).toBeGreaterThan(3);
    net.train(false);
    expect(paths('weights')).toEqual([2]); // eval mode: the argmax path whatever the phase
    x.dispose();
    net.dispose();
  });
});
