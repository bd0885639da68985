/**
 * Test-only helper: runs PyTorch 1.13 (float64) on NDHWC inputs and returns forward outputs and
 * gradients in tfjs layouts, so parity tests compare against an independent implementation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runPythonReference } from '@voxnas/testing';

/** One reference case: primitive name, NDHWC tensors (x, w, gamma, beta), upstream gradient g, params. */
export interface TorchCase {
  readonly op: 'conv3d' | 'depthwise' | 'conv_transpose3d' | 'upsample' | 'instance_norm' | 'group_norm' | 'pool';
  readonly tensors: Readonly<Record<string, tf.Tensor>>;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** Flat NDHWC arrays returned by the reference: y, and d<name> for every input tensor. */
export interface TorchResult {
  readonly y: Flat;
  readonly [key: string]: Flat;
}
interface Flat {
  readonly shape: number[];
  readonly data: number[];
}

const SCRIPT = String.raw`
import json, sys, math, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)

def t(spec):
    return torch.tensor(spec['data'], dtype=torch.float64).reshape(spec['shape'])

def to_ncdhw(x): return x.permute(0, 4, 1, 2, 3)
def to_ndhwc(x): return x.permute(0, 2, 3, 4, 1)

def same_pads(spatial, kernel, stride, dilation):
    pads = []
    for n, k, s, d in zip(spatial, kernel, stride, dilation):
        ext = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + ext - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads

def fpad(pads):  # F.pad order: last dim first
    (df, db), (hf, hb), (wf, wb) = pads
    return (wf, wb, hf, hb, df, db)

def dump(x): return {'shape': list(x.shape), 'data': x.reshape(-1).tolist()}

def run(case):
    p = case.get('params', {})
    ins = {k: t(v).requires_grad_(True) for k, v in case['tensors'].items() if k != 'g'}
    g = t(case['tensors']['g'])
    x = to_ncdhw(ins['x'])
    op = case['op']
    stride = p.get('stride', [1, 1, 1]); dilation = p.get('dilation', [1, 1, 1])
    if op in ('conv3d', 'depthwise'):
        w = ins['w']
        k = list(w.shape[:3])
        if op == 'conv3d':
            wt = w.permute(4, 3, 0, 1, 2)
            groups = 1
        else:
            c, m = w.shape[3], w.shape[4]
            wt = w.permute(3, 4, 0, 1, 2).reshape(c * m, 1, *k)
            groups = c
        padding = p['padding']
        if padding == 'same':
            x = F.pad(x, fpad(same_pads(x.shape[2:], k, stride, dilation)))
        elif padding != 'valid':
            x = F.pad(x, fpad([(q, q) for q in padding]))
        y = F.conv3d(x, wt, stride=stride, dilation=dilation, groups=groups)
    elif op == 'conv_transpose3d':
        w = ins['w']  # tfjs [kd, kh, kw, cOut, cIn] -> torch [cIn, cOut, kd, kh, kw]
        k = list(w.shape[:3])
        full = F.conv_transpose3d(x, w.permute(4, 3, 0, 1, 2), stride=stride)
        if p['padding'] == 'same':
            out = [n * s for n, s in zip(x.shape[2:], stride)]
            pads = same_pads(out, k, stride, [1, 1, 1])
            y = full[:, :, pads[0][0]:pads[0][0] + out[0], pads[1][0]:pads[1][0] + out[1], pads[2][0]:pads[2][0] + out[2]]
        else:
            y = full
    elif op == 'upsample':
        mode = p['mode']
        kw = {'align_corners': False} if mode == 'trilinear' else {}
        y = F.interpolate(x, scale_factor=tuple(float(s) for s in p['scale']), mode=mode, **kw)
    elif op == 'instance_norm':
        y = F.instance_norm(x, weight=ins.get('gamma'), bias=ins.get('beta'), eps=1e-5)
    elif op == 'group_norm':
        y = F.group_norm(x, p['groups'], weight=ins.get('gamma'), bias=ins.get('beta'), eps=1e-5)
    elif op == 'pool':
        k = p['kernel']
        pads = same_pads(x.shape[2:], k, stride, [1, 1, 1])
        if p['kind'] == 'max':
            y = F.max_pool3d(F.pad(x, fpad(pads), value=-math.inf), k, stride)
        else:
            s = F.avg_pool3d(F.pad(x, fpad(pads)), k, stride, divisor_override=1)
            cnt = F.avg_pool3d(F.pad(torch.ones_like(x), fpad(pads)), k, stride, divisor_override=1)
            y = s / cnt
    y = to_ndhwc(y)
    y.backward(g)
    out = {'y': dump(y.detach())}
    for k, v in ins.items():
        out['d' + k] = dump(v.grad)
    return out

cases = json.load(sys.stdin)
print(json.dumps([run(c) for c in cases]))
`;

/** Runs every case in one Python process. */
export function torchReference(cases: readonly TorchCase[]): TorchResult[] {
  const input = cases.map((c) => ({
    op: c.op,
    params: c.params ?? {},
    tensors: Object.fromEntries(
      Object.entries(c.tensors).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.dataSync()) }]),
    ),
  }));
  return runPythonReference<TorchResult[]>(SCRIPT, input);
}

/** Deterministic float32 tensor with values from a tiny LCG (no Math.random). */
export function fixedTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

/** Analytic gradients of Σ f(inputs)·g for each input, as flat arrays. */
export function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], g: tf.Tensor): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const y = f(...inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), g)))(inputs);
    return { y: y.dataSync() as Float32Array, grads: grads.map((t) => t.dataSync() as Float32Array) };
  });
}
