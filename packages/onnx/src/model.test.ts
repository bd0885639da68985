// Whole small networks, one model run at several input sizes (the spatial dims are symbolic), compared
// with the same network composed from @voxnas/ops primitives in tfjs.
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNorm3d,
  conv3d,
  conv3dTranspose,
  depthwiseConv3d,
  groupNorm3d,
  instanceNorm3d,
  pool3d,
  upsample3d,
} from '@voxnas/ops';
import { expectNoLeaks, maxAbsDiff } from '@voxnas/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { emitRelu, emitSoftmax } from './emit-activation.js';
import { emitConv3d, emitConv3dTranspose, emitDepthwiseConv3d } from './emit-conv.js';
import { emitBatchNorm3d, emitGroupNorm3d, emitInstanceNorm3d } from './emit-norm.js';
import { emitPool3d } from './emit-pool.js';
import { emitAdd, emitConcat } from './emit-tensor.js';
import { emitUpsample3d } from './emit-upsample.js';
import { createGraphBuilder, type GraphBuilder } from './graph-builder.js';
import { agreements, randomData, randomFilter, reportAgreements, runOnnx } from '../test/ort.js';
import { ncdhwToNdhwc, ndhwcToNcdhw, type TensorData } from './layout.js';

afterAll(() => reportAgreements('model.test.ts'));

const vec = (n: number, seed: string, scale = 0.3, offset = 0) =>
  Float32Array.from(randomData([n], seed, scale), (v) => v + offset);
const t5 = (f: TensorData) => tf.tensor5d(f.data, f.shape as [number, number, number, number, number]);
const t1 = (v: Float32Array) => tf.tensor1d(v);

interface Net {
  readonly channelsIn: number;
  readonly classes: number;
  emit(b: GraphBuilder, x: string): string;
  reference(x: tf.Tensor5D): tf.Tensor5D;
}

/** A two-level U-Net: conv → IN(affine) → ReLU ×2, max-pool 2, conv → GN → ReLU, transposed conv ×2 (+bias), concat, conv → BN → ReLU, 1×1×1 head, softmax. */
function miniUNet(): Net {
  const w = {
    e1: randomFilter([3, 3, 3, 2, 4], 'e1'),
    e2: randomFilter([3, 3, 3, 4, 4], 'e2'),
    m: randomFilter([3, 3, 3, 4, 8], 'm'),
    up: randomFilter([2, 2, 2, 4, 8], 'up'),
    d: randomFilter([3, 3, 3, 8, 4], 'd'),
    head: randomFilter([1, 1, 1, 4, 3], 'head'),
  };
  const v = {
    g1: vec(4, 'g1', 0.3, 1),
    b1: vec(4, 'b1'),
    g2: vec(4, 'g2', 0.3, 1),
    b2: vec(4, 'b2'),
    gm: vec(8, 'gm', 0.3, 1),
    bm: vec(8, 'bm'),
    upBias: vec(4, 'ub'),
    mean: vec(4, 'mean'),
    variance: vec(4, 'var', 0.2, 1),
    gd: vec(4, 'gd', 0.3, 1),
    bd: vec(4, 'bd'),
    headBias: vec(3, 'hb'),
  };
  return {
    channelsIn: 2,
    classes: 3,
    emit(b, x) {
      let h = emitRelu(
        b,
        emitInstanceNorm3d(b, emitConv3d(b, x, { weight: w.e1, name: 'enc0/conv1' }), {
          gamma: v.g1,
          beta: v.b1,
          name: 'enc0/norm1',
        }),
      );
      const skip = emitRelu(
        b,
        emitInstanceNorm3d(b, emitConv3d(b, h, { weight: w.e2, name: 'enc0/conv2' }), {
          gamma: v.g2,
          beta: v.b2,
          name: 'enc0/norm2',
        }),
      );
      h = emitPool3d(b, skip, { kind: 'max', kernel: 2, stride: 2 });
      h = emitRelu(
        b,
        emitGroupNorm3d(b, emitConv3d(b, h, { weight: w.m, name: 'enc1/conv1' }), {
          groups: 2,
          gamma: v.gm,
          beta: v.bm,
          name: 'enc1/norm1',
        }),
      );
      h = emitConv3dTranspose(b, h, { weight: w.up, bias: v.upBias, stride: 2, name: 'up0' });
      h = emitConcat(b, [skip, h]);
      h = emitConv3d(b, h, { weight: w.d, name: 'dec0/conv1' });
      h = emitRelu(
        b,
        emitBatchNorm3d(b, h, {
          mean: v.mean,
          variance: v.variance,
          gamma: v.gd,
          beta: v.bd,
          name: 'dec0/norm1',
        }),
      );
      return emitSoftmax(b, emitConv3d(b, h, { weight: w.head, bias: v.headBias, name: 'head' }), {
        name: 'probabilities',
      });
    },
    reference(x) {
      let h = tf.relu(instanceNorm3d(conv3d(x, t5(w.e1)), { gamma: t1(v.g1), beta: t1(v.b1) }));
      const skip = tf.relu(
        instanceNorm3d(conv3d(h, t5(w.e2)), { gamma: t1(v.g2), beta: t1(v.b2) }),
      ) as tf.Tensor5D;
      h = pool3d(skip, { kind: 'max', kernel: 2, stride: 2 });
      h = tf.relu(groupNorm3d(conv3d(h, t5(w.m)), { groups: 2, gamma: t1(v.gm), beta: t1(v.bm) }));
      h = tf.add(conv3dTranspose(h, t5(w.up), { stride: 2 }), t1(v.upBias));
      h = conv3d(tf.concat([skip, h], 4) as tf.Tensor5D, t5(w.d));
      h = tf.relu(
        batchNorm3d(h, { mean: t1(v.mean), variance: t1(v.variance), gamma: t1(v.gd), beta: t1(v.bd) }),
      );
      return tf.softmax(tf.add(conv3d(h, t5(w.head)), t1(v.headBias)), 4) as tf.Tensor5D;
    },
  };
}

/**
 * Child-network blocks on odd sizes: ReLU → dilated conv stride 2 (pads computed at run time) + the
 * factorised-reduce 1×1×1 stride-2 conv (tfjs starts it one voxel in on even sizes), summed → IN →
 * sep conv (depthwise + pointwise) → trilinear ×2 → avg pool 3 → transposed conv 3 stride 2 → IN.
 */
function childBlocks(): Net {
  const w = {
    dil: randomFilter([3, 3, 3, 2, 4], 'dil'),
    fr: randomFilter([1, 1, 1, 2, 4], 'fr'),
    dw: randomFilter([3, 3, 3, 4, 1], 'dw'),
    pw: randomFilter([1, 1, 1, 4, 4], 'pw'),
    tc: randomFilter([3, 3, 3, 3, 4], 'tc'),
  };
  return {
    channelsIn: 2,
    classes: 3,
    emit(b, x) {
      const r = emitRelu(b, x);
      let h = emitAdd(b, [
        emitConv3d(b, r, { weight: w.dil, stride: 2, dilation: 2 }),
        emitConv3d(b, r, { weight: w.fr, stride: 2 }),
      ]);
      h = emitInstanceNorm3d(b, h);
      h = emitConv3d(b, emitDepthwiseConv3d(b, emitRelu(b, h), { weight: w.dw }), { weight: w.pw });
      h = emitPool3d(b, emitUpsample3d(b, h), { kind: 'avg' });
      return emitInstanceNorm3d(b, emitConv3dTranspose(b, emitRelu(b, h), { weight: w.tc, stride: 2 }));
    },
    reference(x) {
      const r = tf.relu(x) as tf.Tensor5D;
      let h = tf.add(
        conv3d(r, t5(w.dil), { stride: 2, dilation: 2 }),
        conv3d(r, t5(w.fr), { stride: 2 }),
      ) as tf.Tensor5D;
      h = instanceNorm3d(h);
      h = conv3d(depthwiseConv3d(tf.relu(h), t5(w.dw), { strategy: 'split' }), t5(w.pw));
      h = pool3d(upsample3d(h), { kind: 'avg' });
      return instanceNorm3d(conv3dTranspose(tf.relu(h), t5(w.tc), { stride: 2 }));
    },
  };
}

describe('one exported model, several input sizes (dynamic spatial dims)', () => {
  it.each([
    {
      title: 'mini U-Net opset 17',
      make: miniUNet,
      opset: 17,
      sizes: [
        [1, 2, 4, 6, 8],
        [2, 2, 6, 4, 10],
      ],
    },
    {
      title: 'mini U-Net opset 21 (native GroupNormalization)',
      make: miniUNet,
      opset: 21,
      sizes: [
        [1, 2, 4, 6, 8],
        [2, 2, 6, 4, 10],
      ],
    },
    {
      title: 'child blocks opset 17',
      make: childBlocks,
      opset: 17,
      sizes: [
        [1, 2, 5, 6, 7],
        [2, 2, 9, 4, 11],
        [1, 2, 6, 8, 3],
      ],
    },
  ])('$title at $sizes', async ({ title, make, opset, sizes }) => {
    const net = make();
    const b = createGraphBuilder({ opset });
    const x = b.input('input', { dtype: 'float32', shape: ['N', net.channelsIn, 'D', 'H', 'W'] });
    const y = net.emit(b, x);
    b.output(y);
    const bytes = b.toBytes();
    for (const size of sizes) {
      const feed = { data: randomData(size, `${title} ${size.join('x')}`), shape: size };
      const out = (await runOnnx(bytes, { input: feed }))[y]!;
      const ref = await expectNoLeaks(async () => {
        const r = tf.tidy(() =>
          net.reference(
            tf.tensor5d(
              ncdhwToNdhwc(feed).data,
              ncdhwToNdhwc(feed).shape as [number, number, number, number, number],
            ),
          ),
        );
        const data = (await r.data()) as Float32Array;
        const shape = r.shape.slice();
        r.dispose();
        return ndhwcToNcdhw({ data, shape });
      });
      expect(out.shape).toEqual(ref.shape);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of ref.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      const maxAbs = maxAbsDiff(out.data, ref.data);
      agreements.push({
        title: `${title} input ${size.join('x')}`,
        maxAbs,
        range: hi - lo,
        ratio: maxAbs / (hi - lo),
      });
      expect(maxAbs).toBeLessThanOrEqual(1e-4 * (hi - lo));
    }
  });
});
