import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered on the shared engine by @voxnas/ops (the supernet always loads it).
import '@voxnas/ops';
import { expectClose, expectNoLeaks, runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mixPaths } from './internal/mix-paths.js';

const SHAPE: [number, number, number, number, number] = [2, 3, 4, 3, 2];
const SIZE = SHAPE.reduce((a, b) => a * b, 1);

/**
 * A node's terms: which edge (its weights vector of K = 4) and which candidate each path is. The
 * weights' forward values are what hard samplers give: 1 (k = 1), 1/2 (k = 2), and a node mixing both.
 */
const CASES = [
  { name: 'one edge, k = 1', edges: [[0, 0, 1, 0]], terms: [{ edge: 0, index: 2 }] },
  { name: 'one edge, k = 2', edges: [[0.5, 0, 0, 0.5]], terms: [{ edge: 0, index: 0 }, { edge: 0, index: 3 }] },
  { name: 'three edges, k = 1', edges: [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]], terms: [{ edge: 0, index: 0 }, { edge: 1, index: 2 }, { edge: 2, index: 1 }] },
  {
    name: 'two edges, weights 1 and 1/2',
    edges: [[0, 1, 0, 0], [0.5, 0.5, 0, 0]],
    terms: [{ edge: 0, index: 1 }, { edge: 1, index: 0 }, { edge: 1, index: 1 }],
  },
];

function data(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

/** out = Σ w[edge][index] · path and the gradients of Σ coef · out, from PyTorch (float64). */
const TORCH_MIX = `
import json, sys, torch
out = []
for case in json.load(sys.stdin):
    ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in case['edges']]
    ps = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in case['paths']]
    y = sum(ws[t['edge']][t['index']] * p for t, p in zip(case['terms'], ps))
    (y * torch.tensor(case['coef'], dtype=torch.float64)).sum().backward()
    out.append({'y': y.tolist(), 'dPaths': [p.grad.tolist() for p in ps], 'dWeights': [w.grad.tolist() for w in ws]})
print(json.dumps(out))
`;

const inputs = CASES.map((c, k) => ({ paths: c.terms.map((_, t) => data(10 * k + t, SIZE)), coef: data(100 + k, SIZE) }));
let refs: Array<{ y: number[]; dPaths: number[][]; dWeights: number[][] }> = [];
beforeAll(() => {
  refs = runPythonReference(
    TORCH_MIX,
    CASES.map((c, k) => ({ ...c, ...inputs[k] })),
  );
});

describe('mixPaths (the fused weighted sum of a sampled node)', () => {
  it.each(CASES.map((c, k) => [c.name, k] as [string, number]))('%s: value and gradients equal PyTorch’s', async (_name, k) => {
    const c = CASES[k]!;
    await expectNoLeaks(() => {
      const paths = inputs[k]!.paths.map((p) => tf.tensor(p, SHAPE) as tf.Tensor5D);
      const weights = c.edges.map((w) => tf.tensor1d(w));
      const coef = tf.tensor(inputs[k]!.coef, SHAPE);
      const mix = (...xs: tf.Tensor[]) =>
        mixPaths(
          c.terms.map((t, i) => ({
            path: xs[i] as tf.Tensor5D,
            weights: xs[c.terms.length + t.edge] as tf.Tensor1D,
            index: t.index,
            value: c.edges[t.edge]![t.index]!,
          })),
        );
      const y = tf.tidy(() => mix(...paths, ...weights));
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(mix(...xs), coef)))([...paths, ...weights]);
      const ref = refs[k]!;
      expect(y.shape).toEqual(SHAPE);
      expectClose(y.dataSync(), ref.y.flat(4) as number[], { atol: 1e-5 });
      paths.forEach((_, i) => expectClose(grads[i]!.dataSync(), ref.dPaths[i]!.flat(4) as number[], { atol: 1e-5 }));
      weights.forEach((_, e) => expectClose(grads[paths.length + e]!.dataSync(), ref.dWeights[e]!, { atol: 1e-4 }));
      tf.dispose([...paths, ...weights, coef, y, ...grads]);
    });
  });
});
