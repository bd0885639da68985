import '@tensorflow/tfjs'; // registers tfjs's gradients (tfjs-core's Node build has none)
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fastKernelStatus, registerFastKernels, unregisterFastKernels } from './register.js';
import { randn, withOriginalKernels } from '../../test/fast-support.js';

const NAMES = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Sum', 'Mean', 'Slice', 'Concat', 'SplitV', 'Unpack', 'Pack', 'PadV2', 'Relu', 'Step'];
const FUSED = ['VoxnasGroupNorm', 'VoxnasGroupNormGrad', 'VoxnasReluGrad'];

describe('registerFastKernels / unregisterFastKernels', () => {
  afterAll(() => registerFastKernels());

  it('is idempotent, reversible and reported in fastKernelStatus', () => {
    unregisterFastKernels();
    const originals = NAMES.map((n) => tf.getKernel(n, 'cpu'));
    expect(fastKernelStatus.loaded).toBe(false);
    const s1 = registerFastKernels();
    const mine = NAMES.map((n) => tf.getKernel(n, 'cpu'));
    expect(s1.loaded).toBe(true);
    expect([...s1.kernels]).toEqual([...NAMES, ...FUSED]);
    mine.forEach((k, i) => expect(k).not.toBe(originals[i]));
    registerFastKernels(); // again: nothing changes
    NAMES.forEach((n, i) => expect(tf.getKernel(n, 'cpu')).toBe(mine[i]));
    unregisterFastKernels();
    NAMES.forEach((n, i) => expect(tf.getKernel(n, 'cpu')).toBe(originals[i]));
    expect(fastKernelStatus).toEqual({
      loaded: false,
      kernels: [],
      reason: 'unregisterFastKernels() restored the tfjs-backend-cpu kernels',
    });
    unregisterFastKernels(); // twice is harmless
    NAMES.forEach((n, i) => expect(tf.getKernel(n, 'cpu')).toBe(originals[i]));
  });

  it('importing @voxnas/kernels registers nothing (a fresh process)', () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      const before = ${JSON.stringify(['Add', 'Conv3D', 'Relu'])}.map((n) => tf.getKernel(n, 'cpu'));
      const k = await import('@voxnas/kernels');
      const after = ${JSON.stringify(['Add', 'Conv3D', 'Relu'])}.map((n) => tf.getKernel(n, 'cpu'));
      console.log(JSON.stringify({ same: before.every((c, i) => c === after[i]), fast: k.fastKernelStatus.loaded, native: k.nativeStatus.loaded, reason: k.nativeStatus.reason }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@voxnas/source', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      same: true,
      fast: false,
      native: false,
      reason: 'not registered: call registerNativeKernels() (initBackend of @voxnas/ops does)',
    });
  });
});

/** Instance norm over D,H,W of an NDHWC tensor, written with the ops the kernels serve. */
function instanceNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, [1, 2, 3], true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.mul(centred, centred), [1, 2, 3], true);
  const y = tf.div(centred, tf.sqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(y, gamma), beta);
}

describe('gradients with and without the fast kernels', () => {
  it('instance norm + channel concat/split + pad + stack/unstack: loss and gradients agree', () =>
    expectNoLeaks(() => {
      const rng = new Rng('composite');
      const x = randn(rng, [2, 5, 3, 4, 3]);
      const gamma = randn(rng, [3]);
      const beta = randn(rng, [3]);
      const w = randn(rng, [2, 6, 4, 4, 5]);
      const loss = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const y = instanceNorm(xx, g, b);
        const cat = tf.concat([y, tf.slice(xx, [0, 0, 0, 0, 1], [-1, -1, -1, -1, 2])], 4); // 5 channels
        const padded = tf.pad(cat, [[0, 0], [1, 0], [0, 1], [0, 0], [0, 0]]);
        const [p, q] = tf.split(padded, [2, 3], 4);
        const re = tf.concat([q!, p!], 4);
        const st = tf.stack(tf.unstack(re, 1), 1);
        return tf.sum(tf.mul(st, w));
      };
      const run = () =>
        tf.tidy(() => {
          const { value, grads } = tf.valueAndGrads(loss)([x, gamma, beta]);
          return [value.dataSync()[0]!, ...grads.map((gr) => gr.dataSync() as Float32Array)] as const;
        });
      const fast = run();
      const orig = withOriginalKernels(run);
      expect(fast[0]).toBeCloseTo(orig[0], 3);
      for (let i = 1; i < 4; i++) expectClose(fast[i] as Float32Array, orig[i] as Float32Array, { atol: 1e-4, rtol: 1e-4 });
      tf.dispose([x, gamma, beta, w]);
    }),
  );
});

describe('the hot shape patterns are served by the fast bodies, not delegated', () => {
  it('returns tensors for the supernet patterns and null for the cases tfjs keeps', async () => {
    const { BINARY_BODIES } = await import('./binary.js');
    const { REDUCE_BODIES } = await import('./reduce.js');
    const { COPY_BODIES } = await import('./copy.js');
    const { PAD_BODIES } = await import('./pad.js');
    const bodies = new Map([...BINARY_BODIES, ...REDUCE_BODIES, ...COPY_BODIES, ...PAD_BODIES]);
    const backend = tf.backend() as unknown as Parameters<NonNullable<ReturnType<typeof bodies.get>>>[1];
    const rng = new Rng('served');
    const x = randn(rng, [2, 5, 3, 4, 3]);
    const s = randn(rng, [2, 1, 1, 1, 3]);
    const i = tf.tensor1d([1, 2], 'int32');
    const e = tf.zeros([2, 0]);
    const served = (name: string, inputs: Record<string, tf.TensorInfo> | tf.TensorInfo[], attrs: object) => {
      const out = bodies.get(name)!(inputs, backend, attrs as tf.NamedAttrMap);
      const list = out === null ? [] : Array.isArray(out) ? out : [out];
      list.forEach((t) => backend.disposeData(t.dataId));
      return out !== null;
    };
    for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
      expect(served(name, { a: x, b: s }, {})).toBe(true);
      expect(served(name, { a: s, b: x }, {})).toBe(true);
      expect(served(name, { a: i, b: i }, {})).toBe(false);
    }
    expect(served('Sum', { x }, { axis: [1, 2, 3], keepDims: true })).toBe(true);
    expect(served('Mean', { x }, { axis: [1, 2, 3], keepDims: false })).toBe(true);
    expect(served('Sum', { x: i }, { axis: [0] })).toBe(false);
    expect(served('Slice', { x }, { begin: [0, 0, 0, 0, 1], size: [-1, -1, -1, -1, 2] })).toBe(true);
    expect(served('Concat', [x, x], { axis: 4 })).toBe(true);
    expect(served('Concat', [e, e], { axis: 1 })).toBe(false);
    expect(served('SplitV', { x }, { numOrSizeSplits: [1, 2], axis: 4 })).toBe(true);
    expect(served('Unpack', { value: x }, { axis: 1 })).toBe(true);
    expect(served('Pack', [x, x], { axis: 1 })).toBe(true);
    expect(served('PadV2', { x }, { paddings: [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]], constantValue: 0 })).toBe(true);
    tf.dispose([x, s, i, e]);
  });
});
