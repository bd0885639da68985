import '@tensorflow/tfjs'; // registers tfjs's gradients (tfjs-core's Node build has none)
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks, runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, it } from 'vitest';
import { registerConv3dGradient } from './index.js';
import { maxAbs, randomTensor, skipNative, withJsKernels } from '../test/support.js';

type T3 = [number, number, number];
type Shape5 = [number, number, number, number, number];

// PyTorch computes d/dx and d/dw of sum(conv3d(x, w) * g) in NCDHW / OIDHW; we transpose in and out.
const TORCH = `
import json, sys, torch, torch.nn.functional as F
a = json.load(sys.stdin)
x = torch.tensor(a['x']).reshape(a['xs']).permute(0, 4, 1, 2, 3).contiguous().requires_grad_()
w = torch.tensor(a['w']).reshape(a['ws']).permute(4, 3, 0, 1, 2).contiguous().requires_grad_()
y = F.conv3d(x, w, stride=a['s'], padding=a['p'], dilation=a['d'])
g = torch.tensor(a['g']).reshape(a['ys']).permute(0, 4, 1, 2, 3)
(y * g).sum().backward()
print(json.dumps({'dx': x.grad.permute(0, 2, 3, 4, 1).reshape(-1).tolist(),
                  'dw': w.grad.permute(2, 3, 4, 1, 0).reshape(-1).tolist()}))
`;

// 'same' at stride 1 with an odd effective window pads (k_eff − 1) / 2 on both sides, as in PyTorch.
const cases: Array<{ x: Shape5; f: Shape5; d: T3; pad: 'same' | 'valid' | number; torchPad: T3 }> = [
  { x: [1, 7, 8, 6, 2], f: [3, 3, 3, 2, 3], d: [2, 2, 2], pad: 'same', torchPad: [2, 2, 2] },
  { x: [2, 9, 7, 8, 2], f: [3, 2, 3, 2, 2], d: [2, 1, 3], pad: 'valid', torchPad: [0, 0, 0] },
  { x: [1, 6, 7, 5, 3], f: [3, 3, 2, 3, 2], d: [1, 2, 2], pad: 1, torchPad: [1, 1, 1] },
];

function gradients(x: tf.Tensor5D, w: tf.Tensor5D, g: tf.Tensor, c: (typeof cases)[number]) {
  return tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, c.pad as 'same', 'NDHWC', c.d), g));
    const [dx, dw] = tf.grads(f)([x, w]);
    return [dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array];
  });
}

// Without the addon (outside CI) only the JavaScript path is checked.
describe('Conv3D gradient with dilations equals PyTorch', () => {
  it.each(cases)('x=$x f=$f dil=$d pad=$pad', (c) =>
    expectNoLeaks(() => {
      const rng = new Rng(`grad ${c.x.join()} ${c.d.join()}`);
      const x = randomTensor(rng, c.x) as tf.Tensor5D;
      const w = randomTensor(rng, c.f) as tf.Tensor5D;
      const y = tf.conv3d(x, w, 1, c.pad as 'same', 'NDHWC', c.d);
      const g = randomTensor(rng, y.shape);
      const ref = runPythonReference<{ dx: number[]; dw: number[] }>(TORCH, {
        x: Array.from(x.dataSync()), xs: c.x, w: Array.from(w.dataSync()), ws: c.f,
        g: Array.from(g.dataSync()), ys: y.shape, s: 1, p: c.torchPad, d: c.d,
      });
      const tol = (r: number[]) => ({ atol: 1e-5 * Math.max(1, maxAbs(r)), rtol: 1e-4 });
      // JavaScript kernels: the registered gradient differentiates through a zero-inserted filter.
      const [dxJs, dwJs] = withJsKernels(() => {
        registerConv3dGradient();
        return gradients(x, w, g, c);
      });
      expectClose(dxJs!, ref.dx, tol(ref.dx));
      expectClose(dwJs!, ref.dw, tol(ref.dw));
      if (!skipNative) {
        // Native kernels: the backprop kernels run with a dilations attribute.
        const [dxN, dwN] = gradients(x, w, g, c);
        expectClose(dxN!, ref.dx, tol(ref.dx));
        expectClose(dwN!, ref.dw, tol(ref.dw));
      }
      tf.dispose([x, w, y, g]);
    }),
  );

});
