import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered on the shared engine by @voxnas/ops (the supernet always loads it).
import '@voxnas/ops';
import { expectClose, expectNoLeaks, runPythonReference } from '@voxnas/testing';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSampler, fullSampler, gumbelSampler, uniformSampler, type Sampler } from './sampler.js';

const ALPHA = [0.3, -1.2, 1.1, 0.0, 0.6];
const COEF = [0.7, -1.3, 2.0, 0.4, -0.5];

/** softmax(alpha / tau) and the gradient of Σ c·softmax((alpha + g) / tau) w.r.t. alpha, from PyTorch. */
const TORCH_SOFTMAX = `
import json, sys, torch
inp = json.load(sys.stdin)
out = []
for case in inp:
    a = torch.tensor(case['alpha'], dtype=torch.float64, requires_grad=True)
    g = torch.tensor(case['noise'], dtype=torch.float64)
    y = torch.softmax((a + g) / case['tau'], dim=0)
    (y * torch.tensor(case['coef'], dtype=torch.float64)).sum().backward()
    out.append({'y': y.tolist(), 'grad': a.grad.tolist()})
print(json.dumps(out))
`;

/** Replays the Gumbel noise a gumbelSampler draws from a stream (same seed, same order). */
function replayNoise(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = rng.float();
    while (u === 0) u = rng.float();
    out.push(-Math.log(-Math.log(u)));
  }
  return out;
}

/** Runs `fn` in a tf scope and returns its plain (non-tensor) result. */
function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

function gradOfWeighted(sampler: Sampler, seed: number, tau: number) {
  // `+ 0·Σα` keeps α in the graph, so a sampler with no path to α yields a zero gradient instead of a throw.
  return scoped(() => {
    const alpha = tf.tensor1d(ALPHA);
    let active: readonly number[] = [];
    let forward: number[] = [];
    const g = tf.grad((a: tf.Tensor) => {
      const s = sampler(a as tf.Tensor1D, new Rng(seed), tau);
      active = s.active;
      forward = Array.from(s.weights.dataSync());
      return tf.add(tf.sum(tf.mul(s.weights, tf.tensor1d(COEF))), tf.mul(0, tf.sum(a)));
    })(alpha);
    return { grad: Array.from(g.dataSync()), active, forward };
  });
}

const FULL_TAUS = [1, 0.5, 3];
const GUMBEL_CASES = [
  { k: 1, tau: 1, seed: 11 },
  { k: 1, tau: 0.3, seed: 12 },
  { k: 2, tau: 2, seed: 13 },
  { k: 3, tau: 1, seed: 14 },
];
let refs: Array<{ y: number[]; grad: number[] }> = [];
beforeAll(() => {
  refs = runPythonReference(TORCH_SOFTMAX, [
    ...FULL_TAUS.map((tau) => ({ alpha: ALPHA, noise: ALPHA.map(() => 0), tau, coef: COEF })),
    ...GUMBEL_CASES.map(({ tau, seed }) => ({ alpha: ALPHA, noise: replayNoise(seed, ALPHA.length), tau, coef: COEF })),
  ]);
});

describe('fullSampler', () => {
  it.each(FULL_TAUS.map((tau, i) => [tau, i] as [number, number]))('weights = softmax(α/τ) like PyTorch, every path active (τ=%s)', async (tau, i) => {
    await expectNoLeaks(() => {
      const ref = refs[i];
      const { grad, active, forward } = gradOfWeighted(fullSampler, 1, tau);
      expect(active).toEqual([0, 1, 2, 3, 4]);
      expectClose(forward, ref!.y, { atol: 1e-6, rtol: 1e-5 });
      expectClose(grad, ref!.grad, { atol: 1e-6, rtol: 1e-4 });
    });
  });
});

describe('gumbelSampler', () => {
  it.each(GUMBEL_CASES.map((c, i) => ({ ...c, i })))('k=$k τ=$tau: forward is 1/k on the k largest α+g, backward is the softmax((α+g)/τ) gradient', async ({ k, tau, seed, i }) => {
    await expectNoLeaks(() => {
      const noise = replayNoise(seed, ALPHA.length);
      const ref = refs[FULL_TAUS.length + i];
      const { grad, active, forward } = gradOfWeighted(gumbelSampler({ k }), seed, tau);
      const perturbed = ALPHA.map((a, i) => a + noise[i]!);
      const expectedActive = perturbed
        .map((_, i) => i)
        .sort((a, b) => perturbed[b]! - perturbed[a]!)
        .slice(0, k)
        .sort((a, b) => a - b);
      expect(active).toEqual(expectedActive);
      expect(forward).toEqual(ALPHA.map((_, i) => (active.includes(i) ? Math.fround(1 / k) : 0)));
      expectClose(grad, ref!.grad, { atol: 1e-6, rtol: 1e-4 });
    });
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const draw = (seed: number) =>
      scoped(() => {
        const rng = new Rng(seed);
        const alpha = tf.tensor1d(ALPHA);
        return Array.from({ length: 20 }, () => gumbelSampler({ k: 1 })(alpha, rng, 1).active[0]);
      });
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  // Gumbel-max sampling is exact: argmax(α + g) ~ Categorical(softmax(α)). A seeded chi-square
  // goodness-of-fit test (scipy) must accept softmax(α) and reject a wrong distribution.
  it('sampling frequencies match softmax(α) (chi-square, scipy)', async () => {
    const n = 6000;
    const counts = await expectNoLeaks(() =>
      scoped(() => {
        const rng = new Rng(2024).fork('sampler');
        const alpha = tf.tensor1d(ALPHA);
        const sample = gumbelSampler({ k: 1 });
        const c = ALPHA.map(() => 0);
        for (let t = 0; t < n; t++) {
          const s = sample(alpha, rng, 0.5);
          c[s.active[0]!]!++;
          s.weights.dispose();
        }
        return c;
      }),
    );
    const res = runPythonReference<{ p: number; pWrong: number; stat: number }>(
      `
import json, sys, numpy as np
from scipy.stats import chisquare
d = json.load(sys.stdin)
c = np.array(d['counts'], dtype=float)
a = np.array(d['alpha'])
p = np.exp(a - a.max()); p /= p.sum()
s, pv = chisquare(c, p * c.sum())
_, pw = chisquare(c, np.full(len(c), c.sum() / len(c)))
print(json.dumps({'p': float(pv), 'pWrong': float(pw), 'stat': float(s)}))
`,
      { counts, alpha: ALPHA },
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    expect(res.p).toBeGreaterThan(0.01);
    expect(res.pWrong).toBeLessThan(1e-9);
  });

  it('typed errors for bad k, τ and logits', () => {
    const rng = new Rng(1);
    tf.tidy(() => {
      expect(() => gumbelSampler({ k: 0 })).toThrow(InvalidArgumentError);
      expect(() => gumbelSampler({ k: 6 })(tf.tensor1d(ALPHA), rng, 1)).toThrowErrorMatchingInlineSnapshot(
        `[InvalidArgumentError: gumbelSampler: k = 6 paths but the edge has only 5 candidates]`,
      );
      expect(() => gumbelSampler()(tf.tensor1d(ALPHA), rng, 0)).toThrowErrorMatchingInlineSnapshot(
        `[InvalidArgumentError: gumbelSampler: tau must be a finite number > 0, got 0]`,
      );
      expect(() => fullSampler(tf.zeros([2, 3]) as unknown as tf.Tensor1D, rng, 1)).toThrowErrorMatchingInlineSnapshot(
        `[InvalidArgumentError: fullSampler: logits must be a non-empty 1-D tensor, got shape [2, 3]]`,
      );
    });
  });
});

describe('uniformSampler', () => {
  it('one path, uniform frequencies (chi-square), no gradient to α', async () => {
    const { grad, active, forward } = gradOfWeighted(uniformSampler, 3, 1);
    expect(active).toHaveLength(1);
    expect(forward).toEqual(ALPHA.map((_, i) => (i === active[0] ? 1 : 0)));
    expect(grad).toEqual([0, 0, 0, 0, 0]);
    const counts = await expectNoLeaks(() =>
      scoped(() => {
        const rng = new Rng(77);
        const alpha = tf.tensor1d([5, 0, 0, 0, 0]);
        const c = [0, 0, 0, 0, 0];
        for (let t = 0; t < 3000; t++) c[uniformSampler(alpha, rng, 1).active[0]!]!++;
        return c;
      }),
    );
    const { p } = runPythonReference<{ p: number }>(
      `
import json, sys
from scipy.stats import chisquare
c = json.load(sys.stdin)
print(json.dumps({'p': float(chisquare(c)[1])}))
`,
      counts,
    );
    expect(p).toBeGreaterThan(0.01);
  });
});

describe('createSampler', () => {
  it.each([
    [{ kind: 'full' } as const, 5],
    [{ kind: 'gumbel', k: 2 } as const, 2],
    [{ kind: 'gumbel' } as const, 1],
    [{ kind: 'uniform' } as const, 1],
  ])('%j runs %i path(s)', (config, paths) => {
    tf.tidy(() => {
      expect(createSampler(config)(tf.tensor1d(ALPHA), new Rng(0), 1).active).toHaveLength(paths);
    });
  });

  it('rejects an unknown kind', () => {
    expect(() => createSampler({ kind: 'softmax' } as never)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: createSampler: kind is "softmax", expected 'full', 'gumbel' or 'uniform']`,
    );
  });
});
