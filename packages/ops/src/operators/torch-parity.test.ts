import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks, runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { fixedTensor } from '../../test/torch-reference.js';
import { buildOperator } from '../registry.js';

/**
 * Whole-operator parity: the same weights in an equivalent PyTorch block (ReLU → conv… → InstanceNorm,
 * float64), forward output and gradients of Σ y·g for the input and every weight.
 */
const SCRIPT = String.raw`
import json, sys, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
def t(s): return torch.tensor(s['data']).reshape(s['shape'])
def same(x, k, s, d=(1, 1, 1)):
    pads = []
    for n, kk, ss, dd in zip(x.shape[2:], k, s, d):
        ext = (kk - 1) * dd + 1; out = -(-n // ss); tot = max((out - 1) * ss + ext - n, 0); pads.append((tot // 2, tot - tot // 2))
    (a, b), (c, e), (f, g) = pads
    return F.pad(x, (f, g, c, e, a, b))
out = []
for case in json.load(sys.stdin):
    x = t(case['x']).requires_grad_(True)
    ws = [t(w).requires_grad_(True) for w in case['weights']]
    s = case['stride']; name = case['name']
    h = F.relu(x.permute(0, 4, 1, 2, 3))
    cw = lambda w: w.permute(4, 3, 0, 1, 2)
    if name == 'conv-3x3x3': h = F.conv3d(same(h, (3, 3, 3), (s, s, s)), cw(ws[0]), stride=s)
    elif name == 'dil-conv-3x3x3': h = F.conv3d(same(h, (3, 3, 3), (s, s, s), (2, 2, 2)), cw(ws[0]), stride=s, dilation=2)
    elif name == 'p3d-3x3x1':
        h = F.conv3d(same(h, (1, 3, 3), (1, s, s)), cw(ws[0]), stride=(1, s, s))
        h = F.conv3d(same(h, (3, 1, 1), (s, 1, 1)), cw(ws[1]), stride=(s, 1, 1))
    elif name == 'sep-conv-3x3x3':
        c = ws[0].shape[3]
        h = F.conv3d(same(h, (3, 3, 3), (s, s, s)), ws[0].permute(3, 4, 0, 1, 2).reshape(c, 1, 3, 3, 3), stride=s, groups=c)
        h = F.conv3d(h, cw(ws[1]))
    elif name == 'tconv-3x3x3':
        n = h.shape[2:]
        full = F.conv_transpose3d(h, ws[0].permute(4, 3, 0, 1, 2), stride=2)
        h = full[:, :, :2 * n[0], :2 * n[1], :2 * n[2]]
    y = F.instance_norm(h, eps=1e-5).permute(0, 2, 3, 4, 1)
    y.backward(t(case['g']))
    d = lambda v: {'shape': list(v.shape), 'data': v.reshape(-1).tolist()}
    out.append({'y': d(y.detach()), 'dx': d(x.grad), 'dw': [d(w.grad) for w in ws]})
print(json.dumps(out))
`;

const cases = [
  { name: 'conv-3x3x3', stride: 1, upsample: 1 },
  { name: 'conv-3x3x3', stride: 2, upsample: 1 },
  { name: 'dil-conv-3x3x3', stride: 1, upsample: 1 },
  { name: 'dil-conv-3x3x3', stride: 2, upsample: 1 },
  { name: 'p3d-3x3x1', stride: 2, upsample: 1 },
  { name: 'sep-conv-3x3x3', stride: 1, upsample: 1 },
  { name: 'sep-conv-3x3x3', stride: 2, upsample: 1 },
  { name: 'tconv-3x3x3', stride: 1, upsample: 2 },
] as const;

describe('operators match equivalent PyTorch blocks', () => {
  it('forward and backward (input and every weight) for conv, dilated, pseudo-3D, separable and transposed conv', async () => {
    await expectNoLeaks(() => {
      const X = [1, 5, 6, 7, 3];
      const ops = cases.map((c, i) => buildOperator(c.name, { channelsIn: 3, channelsOut: 4, stride: c.stride, upsample: c.upsample, rng: new Rng(i) }));
      const xs = cases.map((_, i) => fixedTensor(X, 100 + i));
      const ys = ops.map((op, i) => op.apply(xs[i] as tf.Tensor5D));
      const gs = ys.map((y, i) => fixedTensor(y.shape, 200 + i));
      const flat = (t: tf.Tensor) => ({ shape: t.shape, data: Array.from(t.dataSync()) });
      const refs = runPythonReference<Array<{ y: { data: number[] }; dx: { data: number[] }; dw: Array<{ data: number[] }> }>>(
        SCRIPT,
        cases.map((c, i) => ({
          name: c.name,
          stride: c.stride,
          x: flat(xs[i]!),
          g: flat(gs[i]!),
          weights: ops[i]!.trainableVariables().map(flat),
        })),
      );
      cases.forEach((c, i) => {
        const op = ops[i]!;
        const vars = op.trainableVariables();
        const { dx, dws } = tf.tidy(() => {
          const f = (x: tf.Tensor) => tf.sum(tf.mul(op.forward(x as tf.Tensor5D), gs[i]!));
          const dxT = tf.grad(f)(xs[i]!);
          const { grads, value } = tf.variableGrads(() => f(xs[i]!) as tf.Scalar, vars);
          value.dispose();
          return { dx: Array.from(dxT.dataSync()), dws: vars.map((v) => Array.from(grads[v.name]!.dataSync())) };
        });
        const ref = refs[i]!;
        expect(ref.dw.length, c.name).toBe(vars.length);
        expectClose(ys[i]!.dataSync(), ref.y.data, { atol: 1e-4, rtol: 1e-3 });
        expectClose(dx, ref.dx.data, { atol: 1e-4, rtol: 1e-3 });
        dws.forEach((dw, j) => expectClose(dw, ref.dw[j]!.data, { atol: 1e-4, rtol: 1e-3 }));
      });
      tf.dispose([...xs, ...ys, ...gs]);
      ops.forEach((op) => op.dispose());
    });
  });
});
