import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does); tf.grad needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { expectClose, expectNoLeaks, haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { createLosses, type Losses } from './losses.js';

const losses = createLosses(tf);
const shape = [2, 3, 4, 5, 3] as [number, number, number, number, number]; // n, z, y, x, c
const spatial = shape.slice(0, 4) as [number, number, number, number];
const nVox = 2 * 3 * 4 * 5;

const rng = new Rng(42);
const logitsData = Array.from({ length: nVox * 3 }, () => 1.5 * rng.normal());
// Class 2 is absent from sample 1 (an empty class in one sample).
const labelData = Array.from({ length: nVox }, (_, i) => (i < nVox / 2 ? rng.int(0, 3) : rng.int(0, 2)));

type LossName = keyof Losses;
interface Case {
  title: string;
  loss: LossName;
  opts: Record<string, unknown>;
}
const CASES: Case[] = [
  { title: 'softDice per-sample', loss: 'softDice', opts: {} },
  { title: 'softDice batch, smooth 1', loss: 'softDice', opts: { batch: true, smooth: 1 } },
  { title: 'softDice no background, smooth 0', loss: 'softDice', opts: { includeBackground: false, smooth: 0 } },
  { title: 'crossEntropy', loss: 'crossEntropy', opts: {} },
  { title: 'crossEntropy class weights', loss: 'crossEntropy', opts: { classWeights: [0.2, 1, 3] } },
  { title: 'diceCe', loss: 'diceCe', opts: {} },
  { title: 'diceCe batch, weighted', loss: 'diceCe', opts: { batch: true, diceWeight: 0.5, ceWeight: 2, classWeights: [1, 2, 1] } },
  { title: 'focal γ=2', loss: 'focal', opts: {} },
  { title: 'focal γ=0.5 α', loss: 'focal', opts: { gamma: 0.5, alpha: [0.25, 1, 1] } },
  { title: 'focal γ=0 (= CE)', loss: 'focal', opts: { gamma: 0 } },
];

const TORCH = String.raw`
import json, sys, torch
import torch.nn.functional as F
a = json.load(sys.stdin)
x0 = torch.tensor(a['logits'], dtype=torch.float64).reshape(a['shape'])
lab = torch.tensor(a['labels']).reshape(a['shape'][:4])
c = a['shape'][4]
def dice(x, o):
    p = torch.softmax(x, -1); y = F.one_hot(lab, c).double()
    if o.get('includeBackground') is False: p, y = p[..., 1:], y[..., 1:]
    ax = (0, 1, 2, 3) if o.get('batch') else (1, 2, 3)
    s = o.get('smooth', 1e-5)
    den = p.sum(ax) + y.sum(ax) + s
    if s == 0: den = den.clamp_min(1e-8)
    return 1 - ((2 * (p * y).sum(ax) + s) / den).mean()
def ce(x, o):
    w = torch.tensor(o['classWeights'], dtype=torch.float64) if 'classWeights' in o else None
    return F.cross_entropy(x.permute(0, 4, 1, 2, 3), lab, weight=w)
def focal(x, o):
    logp = torch.log_softmax(x, -1); y = F.one_hot(lab, c).double(); g = o.get('gamma', 2)
    al = torch.tensor(o['alpha'], dtype=torch.float64) if 'alpha' in o else torch.ones(c, dtype=torch.float64)
    return -(al * y * (1 - logp.exp()) ** g * logp).sum(-1).mean()
fns = dict(softDice=dice, crossEntropy=ce, focal=focal,
           diceCe=lambda x, o: o.get('diceWeight', 1) * dice(x, o) + o.get('ceWeight', 1) * ce(x, o))
out = []
for case in a['cases']:
    x = x0.clone().requires_grad_(True)
    l = fns[case['loss']](x, case['opts'])
    l.backward()
    out.append(dict(value=l.item(), grad=x.grad.reshape(-1).tolist()))
print(json.dumps(out))
`;

describe.runIf(haveReferences('torch'))('losses vs PyTorch (float64 reference: values and autograd gradients)', () => {
  const ref = runPythonReference<{ value: number; grad: number[] }[]>(TORCH, {
    logits: logitsData,
    labels: labelData,
    shape,
    cases: CASES,
  });

  it.each(CASES.map((c, i) => [c.title, c, i] as const))('%s', async (_t, c, i) => {
    await expectNoLeaks(() => {
      const x = tf.tensor(logitsData, shape);
      const y = tf.tensor(labelData, spatial, 'int32');
      const f = (t: tf.Tensor) => losses[c.loss](t, y, c.opts);
      const value = f(x);
      const grad = tf.grad(f)(x);
      expect(value.shape).toEqual([]);
      expect(value.dataSync()[0]).toBeCloseTo(ref[i]!.value, 5);
      expectClose(grad.dataSync(), ref[i]!.grad, { atol: 2e-7, rtol: 2e-4 });
      tf.dispose([x, y, value, grad]);
    });
  });
});

describe('gradients vs central finite differences (float32)', () => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s', async (_t, c) => {
    await expectNoLeaks(() => {
      const x = tf.tensor(logitsData, shape);
      const y = tf.tensor(labelData, spatial, 'int32');
      const f = (t: tf.Tensor) => losses[c.loss](t, y, c.opts);
      const grad = tf.grad(f)(x);
      const g = grad.dataSync();
      const pick = new Rng(7);
      const eps = 2e-2;
      const num: number[] = [];
      const ana: number[] = [];
      for (let k = 0; k < 24; k++) {
        const idx = pick.int(0, logitsData.length);
        const at = (d: number) => {
          const v = logitsData.slice();
          v[idx]! += d;
          return tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0]!);
        };
        num.push((at(eps) - at(-eps)) / (2 * eps));
        ana.push(g[idx]!);
      }
      // float32 loss values (~1) differenced over 2·eps: ~1e-5 absolute noise on gradients ~1e-3.
      const err = Math.hypot(...num.map((v, k) => v - ana[k]!)) / Math.hypot(...ana);
      expect(err).toBeLessThan(1e-2);
      tf.dispose([x, y, grad]);
    });
  });
});

describe('labels and stability', () => {
  it('class map [n,z,y,x], [n,z,y,x,1] and one-hot [n,z,y,x,c] give the same loss', async () => {
    await expectNoLeaks(() => {
      const x = tf.tensor(logitsData, shape);
      const a = tf.tensor(labelData, spatial, 'int32');
      const b = tf.tensor(labelData, [...spatial, 1], 'float32');
      const h = tf.oneHot(a as tf.Tensor4D, 3);
      for (const name of ['softDice', 'crossEntropy', 'diceCe', 'focal'] as const) {
        const [la, lb, lh] = [a, b, h].map((l) => losses[name](x, l));
        expect(lb!.dataSync()[0]).toBeCloseTo(la!.dataSync()[0]!, 6);
        expect(lh!.dataSync()[0]).toBeCloseTo(la!.dataSync()[0]!, 6);
        tf.dispose([la!, lb!, lh!]);
      }
      tf.dispose([x, a, b, h]);
    });
  });

  it.each([
    ['logits ±80, class 2 absent everywhere', 80],
    ['logits ±1000', 1000],
  ])('stays finite with %s (log-softmax)', async (_t, scale) => {
    await expectNoLeaks(() => {
      const x = tf.tensor(logitsData.map((v) => Math.sign(v) * scale), shape);
      const y = tf.tensor(labelData.map((v) => Math.min(v, 1)), spatial, 'int32');
      for (const name of ['softDice', 'crossEntropy', 'diceCe', 'focal'] as const) {
        for (const opts of [{}, { smooth: 0 }, { batch: true }]) {
          const f = (t: tf.Tensor) => losses[name](t, y, opts);
          const v = f(x);
          const g = tf.grad(f)(x);
          expect(Number.isFinite(v.dataSync()[0]!)).toBe(true);
          expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
          tf.dispose([v, g]);
        }
      }
      tf.dispose([x, y]);
    });
  });

  it('perfect confident prediction: losses → 0; with smooth 0 an absent class counts as Dice 0', async () => {
    await expectNoLeaks(() => {
      const y = tf.tensor(labelData.map((v) => Math.min(v, 1)), spatial, 'int32'); // class 2 absent
      const x = tf.tidy(() => tf.mul(tf.oneHot(y as tf.Tensor4D, 3), 60));
      const v = (l: tf.Scalar) => {
        const r = l.dataSync()[0]!;
        l.dispose();
        return r;
      };
      expect(v(losses.softDice(x, y))).toBeCloseTo(0, 5);
      expect(v(losses.crossEntropy(x, y))).toBeCloseTo(0, 6);
      expect(v(losses.focal(x, y))).toBeCloseTo(0, 6);
      expect(v(losses.softDice(x, y, { smooth: 0 }))).toBeCloseTo(1 / 3, 5);
      expect(v(losses.softDice(x, y, { smooth: 0, batch: true }))).toBeCloseTo(1 / 3, 5);
      tf.dispose([x, y]);
    });
  });

  it('rejects bad shapes, labels and options with typed errors', async () => {
    await expectNoLeaks(() => {
      const x = tf.zeros(shape);
      const y = tf.zeros(spatial, 'int32');
      const bad3 = tf.zeros([2, 3, 3]);
      const oneClass = tf.zeros([2, 3, 4, 5, 1]);
      const badLabels = tf.zeros([2, 3, 4, 6]);
      expect(() => losses.softDice(bad3, y)).toThrow(ShapeMismatchError);
      expect(() => losses.softDice(oneClass, y)).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: softDice: logits need c ≥ 2 classes (softmax over the last axis), got shape [2, 3, 4, 5, 1]; use two channels for a binary task]`);
      expect(() => losses.crossEntropy(x, badLabels)).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: crossEntropy: labels shape [2, 3, 4, 6] does not fit logits [2, 3, 4, 5, 3]; expected a class map [2, 3, 4, 5] or [2, 3, 4, 5, 1], or one-hot [2, 3, 4, 5, 3]]`);
      expect(() => losses.crossEntropy(x, y, { classWeights: [1, 2] })).toThrow(InvalidArgumentError);
      expect(() => losses.crossEntropy(x, y, { classWeights: [1, 2] })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: crossEntropy: classWeights must be 3 finite numbers ≥ 0 (one per class), got [1, 2]]`);
      expect(() => losses.focal(x, y, { gamma: -1 })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: focal: gamma must be a finite number ≥ 0, got -1]`);
      expect(() => createLosses({} as typeof tf)).toThrow(InvalidArgumentError);
      tf.dispose([x, y, bad3, oneClass, badLabels]);
    });
  });
});
