import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { expectClose, expectNoLeaks, runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigError } from './errors.js';
import { Optimizer, type OptimizerSpec } from './optimizer.js';

// PyTorch applies the same gradient sequence; its parameters after each step are the reference.
const TORCH_OPTIM = `
import json, sys, torch
def run(cfg):
    params = [torch.nn.Parameter(torch.tensor(p['init'], dtype=torch.float32).reshape(p['shape'])) for p in cfg['params']]
    s = cfg['spec']
    if s['kind'] == 'sgd':
        opt = torch.optim.SGD(params, lr=1.0, momentum=s['momentum'], nesterov=s['nesterov'], weight_decay=s['weightDecay'])
    elif s['kind'] == 'adam':
        opt = torch.optim.Adam(params, lr=1.0, betas=(s['beta1'], s['beta2']), eps=s['epsilon'], weight_decay=s['weightDecay'])
    else:
        opt = torch.optim.AdamW(params, lr=1.0, betas=(s['beta1'], s['beta2']), eps=s['epsilon'], weight_decay=s['weightDecay'])
    for step in cfg['steps']:
        for g in opt.param_groups: g['lr'] = step['lr']
        for p, g in zip(params, step['grads']):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float32).reshape(p.shape)
        opt.step()
    return [p.detach().reshape(-1).tolist() for p in params]
print(json.dumps([run(cfg) for cfg in json.load(sys.stdin)]))
`;

const SHAPES = [[3, 5], [2]] as const;

function makeParams(rng: Rng) {
  return SHAPES.map((shape, i) => {
    const init = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const t = tf.tensor(init, [...shape]);
    const variable = tf.variable(t);
    t.dispose();
    return { name: `p${i}`, shape: [...shape], init, variable };
  });
}

/** Gradient sequences; `p1` gets no gradient at steps 1 and 3 (an unsampled path). */
function makeSteps(rng: Rng, n: number) {
  return Array.from({ length: n }, (_, k) => ({
    lr: 0.05 / (k + 1),
    grads: SHAPES.map((shape, i) =>
      i === 1 && (k === 1 || k === 3) ? null : Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    ),
  }));
}

function runSteps(opt: Optimizer, steps: ReturnType<typeof makeSteps>) {
  for (const step of steps) {
    const grads = step.grads.map((g, i) => (g === null ? null : tf.tensor(g, [...SHAPES[i]!])));
    opt.applyGradients(grads, step.lr);
    tf.dispose(grads.filter((g) => g !== null));
  }
}

const SPECS: Array<[string, OptimizerSpec, Record<string, unknown>]> = [
  ['sgd nesterov wd', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.1 }, {}],
  ['sgd plain momentum', { kind: 'sgd', momentum: 0.5, nesterov: false }, { weightDecay: 0 }],
  ['adam l2', { kind: 'adam', weightDecay: 0.05 }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }],
  ['adamw', { kind: 'adamw', beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.3 }, {}],
];

describe('Optimizer', () => {
  // One Python process for every case (importing torch is the slow part).
  const inputs = SPECS.map(() => {
    const rng = new Rng(7);
    const params = makeParams(rng);
    const steps = makeSteps(rng, 5);
    const cfg = {
      params: params.map((p) => ({ shape: p.shape, init: Array.from(p.init) })),
      steps: steps.map((st) => ({ lr: st.lr, grads: st.grads.map((g) => (g === null ? null : Array.from(g))) })),
    };
    params.forEach((p) => p.variable.dispose());
    return cfg;
  });
  let refs: number[][][] = [];
  beforeAll(() => {
    refs = runPythonReference<number[][][]>(
      TORCH_OPTIM,
      SPECS.map(([, spec, defaults], i) => ({ ...inputs[i], spec: { ...defaults, ...spec } })),
    );
  });

  it.each(SPECS.map((c, i) => [...c, i] as const))('%s matches PyTorch over 5 steps, skipping params without gradient', async (_title, spec, _d, i) => {
    await expectNoLeaks(() => {
      const rng = new Rng(7);
      const params = makeParams(rng);
      const steps = makeSteps(rng, 5);
      const opt = new Optimizer(spec, params);
      runSteps(opt, steps);
      params.forEach((p, k) => expectClose(p.variable.dataSync(), refs[i]![k]!, { atol: 2e-6, rtol: 2e-5 }));
      expect(opt.step).toBe(5);
      opt.dispose();
      params.forEach((p) => p.variable.dispose());
    });
  });

  it.each(SPECS)('%s resumes bit-identically from getState/setState', async (_title, spec) => {
    await expectNoLeaks(async () => {
      const steps = makeSteps(new Rng(3), 6);
      const a = makeParams(new Rng(1));
      const optA = new Optimizer(spec, a);
      runSteps(optA, steps);

      const b = makeParams(new Rng(1));
      const optB = new Optimizer(spec, b);
      runSteps(optB, steps.slice(0, 4));
      const state = await optB.getState();
      const weights = b.map((p) => p.variable.dataSync().slice());
      optB.dispose();
      b.forEach((p) => p.variable.dispose());
      // A fresh optimiser over fresh variables, given the saved weights and state.
      const c = makeParams(new Rng(99));
      c.forEach((p, i) => tf.tidy(() => p.variable.assign(tf.tensor(weights[i]!, p.shape))));
      const optC = new Optimizer(spec, c);
      optC.setState(state);
      runSteps(optC, steps.slice(4));
      c.forEach((p, i) => expect(p.variable.dataSync()).toEqual(a[i]!.variable.dataSync()));
      expect(optC.step).toBe(6);
      [optA, optC].forEach((o) => o.dispose());
      [...a, ...c].forEach((p) => p.variable.dispose());
    });
  });

  it('rejects a state that does not fit, and bad specs', async () => {
    await expectNoLeaks(async () => {
      const params = makeParams(new Rng(1));
      const adam = new Optimizer({ kind: 'adam' }, params);
      const sgd = new Optimizer({ kind: 'sgd' }, params);
      const state = await adam.getState();
      expect(() => sgd.setState(state)).toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: Optimizer.setState: state is for 'adam', this optimiser is 'sgd']`);
      const truncated = { ...state, slots: state.slots.slice(1) };
      expect(() => adam.setState(truncated)).toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: Optimizer.setState: slot "p0/m" is missing]`);
      const reshaped = { ...state, slots: state.slots.map((s, i) => (i === 0 ? { ...s, shape: [5, 3] } : s)) };
      expect(() => adam.setState(reshaped)).toThrow(TrainConfigError); // same size, wrong shape
      adam.dispose();
      sgd.dispose();
      params.forEach((p) => p.variable.dispose());
    });
    expect(() => new Optimizer({ kind: 'sgd', momentum: 1 }, [])).toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: optimizer.momentum is 1, expected a number in [0, 1)]`);
    expect(() => new Optimizer({ kind: 'rmsprop' } as unknown as OptimizerSpec, [])).toThrow(TrainConfigError);
  });
});
