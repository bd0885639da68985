import '@tensorflow/tfjs'; // registers tfjs's gradients (tfjs-core's Node build has none)
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, it } from 'vitest';
import '../index.js';
import { kernelValues, maxAbs, randomTensor, skipNative, skipNote, withJsKernels } from '../../test/support.js';

type T3 = number | [number, number, number];
type Pad = 'same' | 'valid' | number;
type Shape5 = [number, number, number, number, number];

/** float32 tolerance scaled by the output's magnitude (sums of up to a few hundred products). */
function close(native: Float32Array, js: Float32Array): void {
  expectClose(native, js, { atol: 2e-6 * Math.max(1, maxAbs(js)), rtol: 1e-4 });
}

const convCases: Array<{ x: Shape5; f: Shape5; s: T3; pad: Pad; d: T3 }> = [
  { x: [1, 5, 6, 7, 3], f: [3, 3, 3, 3, 4], s: 1, pad: 'same', d: 1 },
  { x: [2, 7, 5, 6, 2], f: [3, 3, 3, 2, 3], s: 2, pad: 'same', d: 1 },
  { x: [1, 7, 6, 5, 3], f: [3, 3, 3, 3, 2], s: 2, pad: 'valid', d: 1 },
  { x: [1, 6, 7, 5, 3], f: [2, 3, 1, 3, 2], s: [1, 2, 3], pad: 1, d: 1 },
  { x: [1, 8, 7, 9, 2], f: [3, 3, 3, 2, 3], s: [2, 1, 2], pad: 2, d: 1 },
  { x: [2, 5, 6, 7, 4], f: [1, 1, 1, 4, 5], s: 1, pad: 'valid', d: 1 },
  { x: [1, 4, 5, 3, 17], f: [3, 3, 3, 17, 19], s: 1, pad: 'same', d: 1 },
  { x: [1, 5, 6, 5, 2], f: [1, 1, 1, 2, 3], s: 3, pad: 'same', d: 1 }, // negative SAME pad: JS fallback
  { x: [1, 9, 8, 7, 2], f: [3, 3, 3, 2, 3], s: 1, pad: 'same', d: 2 },
  { x: [1, 9, 10, 8, 2], f: [3, 2, 3, 2, 2], s: 1, pad: 'valid', d: [2, 1, 3] },
  { x: [1, 7, 8, 9, 3], f: [3, 3, 3, 3, 2], s: 1, pad: 1, d: [1, 2, 1] },
];
const title = (c: { x: number[]; f?: number[]; s: T3; pad: Pad; d?: T3 }) =>
  `x=[${c.x.join(',')}]${c.f ? ` f=[${c.f.join(',')}]` : ''} stride=${String(c.s)} pad=${String(c.pad)}${c.d === undefined ? '' : ` dil=${String(c.d)}`}`;

describe.skipIf(skipNative)(`native Conv3D kernels equal the JavaScript kernels${skipNote}`, () => {
  it.each(convCases)('forward $x $f', (c) =>
    expectNoLeaks(() => {
      const rng = new Rng(title(c));
      const x = randomTensor(rng, c.x);
      const f = randomTensor(rng, c.f);
      const attrs = { strides: c.s, pad: c.pad, dilations: c.d, dataFormat: 'NDHWC' };
      const native = kernelValues(tf.Conv3D, { x, filter: f }, attrs);
      const js = withJsKernels(() => kernelValues(tf.Conv3D, { x, filter: f }, attrs));
      close(native, js);
      tf.dispose([x, f]);
    }),
  );

  // tfjs's own backprop kernels ignore dilations, so the JavaScript comparison is at dilation 1;
  // dilated gradients are checked against PyTorch in conv3d-gradient.test.ts.
  it.each(convCases.filter((c) => c.d === 1))('backprop input and filter $x $f', (c) =>
    expectNoLeaks(() => {
      const rng = new Rng(`bp ${title(c)}`);
      const x = randomTensor(rng, c.x);
      const f = randomTensor(rng, c.f);
      const y = tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, c.s, c.pad as 'same');
      const dy = randomTensor(rng, y.shape);
      const inAttrs = { strides: c.s, pad: c.pad, inputShape: c.x };
      const fAttrs = { strides: c.s, pad: c.pad, filterShape: c.f };
      const dxNative = kernelValues(tf.Conv3DBackpropInputV2, { dy, filter: f }, inAttrs);
      const dwNative = kernelValues(tf.Conv3DBackpropFilterV2, { x, dy }, fAttrs);
      const [dxJs, dwJs] = withJsKernels(() => [
        kernelValues(tf.Conv3DBackpropInputV2, { dy, filter: f }, inAttrs),
        kernelValues(tf.Conv3DBackpropFilterV2, { x, dy }, fAttrs),
      ]);
      close(dxNative, dxJs as Float32Array);
      close(dwNative, dwJs as Float32Array);
      tf.dispose([x, f, y, dy]);
    }),
  );
});

const poolCases: Array<{ x: Shape5; k: T3; s: T3; pad: Pad; round?: 'floor' | 'ceil' | 'round' }> = [
  { x: [1, 5, 6, 7, 3], k: 2, s: 2, pad: 'same' },
  { x: [2, 7, 5, 6, 2], k: 3, s: 2, pad: 'valid' },
  { x: [1, 6, 7, 5, 3], k: [2, 3, 1], s: [1, 2, 3], pad: 'same' },
  { x: [1, 7, 6, 5, 2], k: 3, s: 1, pad: 1 },
  { x: [1, 7, 6, 9, 20], k: 2, s: 2, pad: 0, round: 'ceil' },
];

describe.skipIf(skipNative)(`native 3D pooling kernels equal the JavaScript kernels${skipNote}`, () => {
  // Integer-valued inputs make ties common, so MaxPool3DGrad must pick the same (last) maximum.
  it.each(poolCases)('max and avg, forward and gradient, x=$x k=$k s=$s pad=$pad', (c) =>
    expectNoLeaks(() => {
      const rng = new Rng(title(c));
      const x = randomTensor(rng, c.x, true) as tf.Tensor5D;
      const run = () =>
        tf.tidy(() => {
          const mx = tf.maxPool3d(x, c.k, c.s, c.pad, c.round);
          const av = tf.avgPool3d(x, c.k, c.s, c.pad, c.round);
          const dy = randomTensor(new Rng('dy'), mx.shape);
          const attrs = { filterSize: c.k, strides: c.s, pad: c.pad, dimRoundingMode: c.round };
          return [
            mx.dataSync(),
            av.dataSync(),
            kernelValues(tf.MaxPool3DGrad, { dy, input: x, output: mx }, attrs),
            kernelValues(tf.AvgPool3DGrad, { dy, input: x }, attrs),
          ] as Float32Array[];
        });
      const native = run();
      const js = withJsKernels(run);
      native.forEach((v, i) => close(v, js[i] as Float32Array));
      x.dispose();
    }),
  );
});
