import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { nativeStatus, registerNativeKernels } from '../native-kernels.js';
import { accel } from '../internal/state.js';
import { both, randn } from '../../test/fast-support.js';

const ops = [
  { name: 'Add', f: tf.add },
  { name: 'Sub', f: tf.sub },
  { name: 'Multiply', f: tf.mul },
  { name: 'RealDiv', f: tf.div },
] as const;

/** [a, b] shape pairs: equal, scalar, instance-norm statistics, broadcast on either side, rank mismatch. */
const pairs: Array<[number[], number[]]> = [
  [[2, 5, 3, 4, 3], [2, 5, 3, 4, 3]],
  [[2, 5, 3, 4, 3], []],
  [[], [3, 4]],
  [[2, 5, 3, 4, 3], [2, 1, 1, 1, 3]],
  [[2, 1, 1, 1, 3], [2, 5, 3, 4, 3]],
  [[2, 5, 3, 4, 3], [3]],
  [[1, 1, 1, 1, 3], [2, 5, 3, 4, 3]],
  [[2, 5, 1, 4, 1], [1, 5, 3, 1, 3]],
  [[3, 1], [1, 4]],
  [[1], [1]],
  [[5, 1, 7], [7]],
  [[2, 3, 1], [2, 3, 4]],
];

describe('Add, Sub, Multiply, RealDiv with broadcasting', () => {
  it.each(ops)('$name equals tfjs for every shape pair', ({ name, f }) =>
    expectNoLeaks(() => {
      const rng = new Rng(name);
      for (const [sa, sb] of pairs) {
        const a = randn(rng, sa);
        const b = randn(rng, sb, name === 'RealDiv' ? 3 : 0);
        const { fast, orig } = both(() => f(a, b));
        expect(fast[0]!.shape).toEqual(orig[0]!.shape);
        // one float32 rounding of the same double: bit-exact in practice, tolerance for safety
        expectClose(fast[0]!.values, orig[0]!.values, { atol: 1e-7, rtol: 1e-6 });
        tf.dispose([a, b]);
      }
    }),
  );

  it.each(ops)('$name on large same-shape and scalar operands (the threaded native loop, and the JS loop)', ({ name, f }) =>
    expectNoLeaks(() => {
      registerNativeKernels();
      if (!nativeStatus.loaded && process.env.CI) throw new Error(`addon not loaded in CI: ${nativeStatus.reason ?? ''}`);
      const rng = new Rng(`${name} large`);
      const saved = accel.addon;
      for (const [sa, sb] of [[[2, 9, 31, 17, 8], [2, 9, 31, 17, 8]], [[2, 9, 31, 17, 8], []], [[], [40001]], [[1, 40001], [1]]] as const) {
        const a = randn(rng, [...sa]);
        const b = randn(rng, [...sb], name === 'RealDiv' ? 3 : 0);
        for (const addon of [saved, null]) {
          accel.addon = addon;
          const { fast, orig } = both(() => f(a, b));
          expect(fast[0]!.shape).toEqual(orig[0]!.shape);
          expectClose(fast[0]!.values, orig[0]!.values, { atol: 1e-7, rtol: 1e-6 });
        }
        accel.addon = saved;
        tf.dispose([a, b]);
      }
    }),
  );

  it('int32 operands and incompatible shapes go to the original kernels', () => {
    const a = tf.tensor1d([1, 2, 3], 'int32');
    const b = tf.tensor1d([4, 5, 6], 'int32');
    const { fast, orig } = both(() => tf.mul(a, b));
    expect(fast[0]!.dtype).toBe('int32');
    expect(Array.from(fast[0]!.values)).toEqual(Array.from(orig[0]!.values));
    const c = tf.ones([2, 3]);
    const d = tf.ones([3, 2]);
    expect(() => tf.add(c, d)).toThrowErrorMatchingInlineSnapshot(`[Error: Operands could not be broadcast together with shapes 2,3 and 3,2.]`);
    tf.dispose([a, b, c, d]);
  });
});
