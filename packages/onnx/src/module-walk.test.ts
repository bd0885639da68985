// A sketch of the network-level exporter: walks the modules the built-in operators are made of (as
// `buildOperator` builds them, with their seeded weights), emits each through this package, and checks
// ONNX Runtime against `module.apply`. It reads only public fields (`options`, `weight`, `bias`, `gamma`,
// `beta`, `children()`); see the package README for what a full exporter needs from the other packages.
import type * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import {
  Conv3d,
  ConvTranspose3d,
  DepthwiseConv3d,
  FactorizedReduce,
  InstanceNorm3d,
  OperatorModule,
  Pool3d,
  ReLU,
  Sequential,
  Upsample3d,
  buildOperator,
  type Module,
} from '@voxnas/ops';
import { afterAll, describe, it } from 'vitest';
import { emitRelu } from './emit-activation.js';
import { emitConv3d, emitConv3dTranspose, emitDepthwiseConv3d } from './emit-conv.js';
import { emitInstanceNorm3d } from './emit-norm.js';
import { emitPool3d } from './emit-pool.js';
import { emitConcat, emitPad, emitSlice } from './emit-tensor.js';
import { emitUpsample3d } from './emit-upsample.js';
import type { GraphBuilder } from './graph-builder.js';
import { compareWithVoxnas, reportAgreements } from './internal/ort.test-util.js';
import type { TensorData } from './layout.js';

afterAll(() => reportAgreements('module-walk.test.ts'));

const host = (v: tf.Variable): TensorData => ({ data: v.dataSync() as Float32Array, shape: v.shape });
const vec = (v: tf.Variable | undefined) => (v === undefined ? undefined : (v.dataSync() as Float32Array));
const child = (m: Module<unknown, unknown>, name: string) => m.children().find(([n]) => n === name)?.[1];

/** Emits one voxnas module (the classes the built-in operators use) under the path `name`. */
function emitModule(b: GraphBuilder, m: Module<unknown, unknown>, x: string, name: string): string {
  if (m instanceof OperatorModule || m instanceof Sequential) {
    return m.children().reduce((h, [n, c]) => emitModule(b, c, h, `${name}/${n}`), x);
  }
  if (m instanceof ReLU) return emitRelu(b, x, { name });
  if (m instanceof Conv3d) {
    const { stride, padding, dilation } = m.options;
    const bias = vec(m.bias);
    return emitConv3d(b, x, {
      weight: host(m.weight),
      stride,
      padding,
      dilation,
      name,
      ...(bias ? { bias } : {}),
    });
  }
  if (m instanceof DepthwiseConv3d) {
    const { stride, padding, dilation } = m.options;
    return emitDepthwiseConv3d(b, x, { weight: host(m.weight), stride, padding, dilation, name });
  }
  if (m instanceof ConvTranspose3d) {
    return emitConv3dTranspose(b, x, {
      weight: host(m.weight),
      stride: m.options.stride,
      padding: m.options.padding,
      name,
    });
  }
  if (m instanceof InstanceNorm3d) {
    const [gamma, beta] = [vec(m.gamma), vec(m.beta)];
    return emitInstanceNorm3d(b, x, {
      eps: m.options.eps,
      name,
      ...(gamma ? { gamma } : {}),
      ...(beta ? { beta } : {}),
    });
  }
  if (m instanceof Pool3d) return emitPool3d(b, x, { ...m.options, name });
  if (m instanceof Upsample3d) return emitUpsample3d(b, x, { ...m.options, name });
  if (m instanceof FactorizedReduce) {
    // forward: ReLU → [convA(r), convB(r shifted by one voxel, zero-padded at the end)] → concat → norm
    const r = emitRelu(b, x, { name: `${name}/relu` });
    const shifted = emitPad(b, emitSlice(b, r, { begin: [1, 1, 1], name: `${name}/shift` }), {
      begin: [0, 0, 0],
      end: [1, 1, 1],
      name: `${name}/shift_pad`,
    });
    const convA = child(m, 'convA');
    const parts = [
      ...(convA === undefined ? [] : [emitModule(b, convA, r, `${name}/convA`)]),
      emitModule(b, child(m, 'convB')!, shifted, `${name}/convB`),
    ];
    return emitModule(b, child(m, 'norm')!, emitConcat(b, parts, { name: `${name}/concat` }), `${name}/norm`);
  }
  throw new Error(`no emitter for ${m.constructor.name} at ${name}`);
}

describe('built-in operators exported by walking their modules', () => {
  it.each([
    { op: 'conv-3x3x3', stride: 1 as const, upsample: 1 as const },
    { op: 'conv-3x3x3', stride: 2 as const, upsample: 1 as const },
    { op: 'conv-3x3x3', stride: 1 as const, upsample: 2 as const },
    { op: 'conv-3x3x1', stride: 2 as const, upsample: 1 as const },
    { op: 'p3d-3x3x1', stride: 2 as const, upsample: 1 as const },
    { op: 'dil-conv-3x3x3', stride: 2 as const, upsample: 1 as const },
    { op: 'sep-conv-3x3x3', stride: 2 as const, upsample: 1 as const },
    { op: 'max-pool-3x3x3', stride: 2 as const, upsample: 1 as const },
    { op: 'avg-pool-3x3x3', stride: 2 as const, upsample: 1 as const },
    { op: 'tconv-3x3x3', stride: 1 as const, upsample: 2 as const },
    { op: 'identity', stride: 2 as const, upsample: 1 as const },
    { op: 'identity', stride: 1 as const, upsample: 2 as const },
  ])('x=[2,4,5,6,7] $op stride=$stride upsample=$upsample', async ({ op, stride, upsample }) => {
    const m = buildOperator(op, {
      channelsIn: 4,
      channelsOut: 4,
      stride,
      upsample,
      rng: new Rng(`walk ${op}`),
    });
    try {
      await compareWithVoxnas({
        title: `operator ${op} stride=${stride} upsample=${upsample}`,
        input: [2, 4, 5, 6, 7],
        emit: (b, x) => emitModule(b, m, x, op),
        reference: (x) => m.apply(x),
      });
    } finally {
      m.dispose();
    }
  });
});
