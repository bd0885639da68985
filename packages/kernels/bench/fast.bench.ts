// `pnpm bench:fast [--rounds N]`: tfjs-backend-cpu's JavaScript kernels against the
// typed-array kernels of src/fast (registerFastKernels), per op on [2,32,32,16,8] float32 tensors,
// (native convolutions in both columns when the addon loads).
// Both variants run in the same process, interleaved round by round (the machine is shared);
// times are medians in milliseconds, the ratio is original / fast.
import '@tensorflow/tfjs'; // gradients for the training step
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { nativeStatus } from '../src/index.js';
import { registerFastKernels, unregisterFastKernels } from '../src/fast/index.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const rounds = opt('--rounds', 8);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

/** Times `fn` (disposing its outputs) with and without the fast kernels, interleaved. */
function compare(fn: () => tf.Tensor | tf.Tensor[], reps: number): { orig: number; fast: number } {
  const once = () => {
    const t = performance.now();
    for (let r = 0; r < reps; r++) tf.dispose(fn());
    return (performance.now() - t) / reps;
  };
  const orig: number[] = [];
  const fast: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    // alternate which variant runs first, so neither always pays for the other's garbage
    let o: number;
    let f: number;
    if (r % 2 === 0) {
      unregisterFastKernels();
      o = once();
      registerFastKernels();
      f = once();
    } else {
      registerFastKernels();
      f = once();
      unregisterFastKernels();
      o = once();
      registerFastKernels();
    }
    if (r > 0) { // round 0 warms the JIT
      orig.push(o);
      fast.push(f);
    }
  }
  return { orig: median(orig), fast: median(fast) };
}

const rng = new Rng('fast bench');
const S = [2, 32, 32, 16, 8];
const x = randn(rng, S);
const y = randn(rng, S);
const stat = randn(rng, [2, 1, 1, 1, 8]);
const half = [randn(rng, [2, 32, 32, 16, 4]), randn(rng, [2, 32, 32, 16, 4])];
const planes = tf.unstack(x, 1);

const cases: Array<[string, () => tf.Tensor | tf.Tensor[]]> = [
  ['Multiply [2,32,32,16,8]·[2,1,1,1,8]', () => tf.mul(x, stat)],
  ['Sub [2,32,32,16,8]−[2,1,1,1,8]', () => tf.sub(x, stat)],
  ['RealDiv [2,32,32,16,8]/[2,1,1,1,8]', () => tf.div(x, stat)],
  ['Add equal shapes', () => tf.add(x, y)],
  ['Multiply by scalar', () => tf.mul(x, tf.scalar(0.5))],
  ['Sum axes [1,2,3] keepDims', () => tf.sum(x, [1, 2, 3], true)],
  ['Mean axes [1,2,3] keepDims', () => tf.mean(x, [1, 2, 3], true)],
  ['Sum axes [0,1,2,3] (bias grad)', () => tf.sum(x, [0, 1, 2, 3])],
  ['Slice channels 2..6', () => tf.slice(x, [0, 0, 0, 0, 2], [-1, -1, -1, -1, 4])],
  ['Slice d 8..24', () => tf.slice(x, [0, 8, 0, 0, 0], [-1, 16, -1, -1, -1])],
  ['Concat 2×4 channels', () => tf.concat(half, 4)],
  ['SplitV channels [3,5]', () => tf.split(x, [3, 5], 4)],
  ['Unpack axis 1 (32)', () => tf.unstack(x, 1)],
  ['Pack 32 on axis 1', () => tf.stack(planes, 1)],
  ['PadV2 1 voxel on d,h,w', () => tf.pad(x, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])],
];

console.log(`native convolutions: ${nativeStatus.loaded ? `on (${nativeStatus.threads} threads)` : `off (${nativeStatus.reason ?? ''})`}; ${rounds} interleaved rounds, medians`);
console.log('\n| op | tfjs-cpu ms | fast ms | × faster |\n|---|---:|---:|---:|');
for (const [name, fn] of cases) {
  const r = compare(fn, 5);
  console.log(`| ${name} | ${r.orig.toFixed(2)} | ${r.fast.toFixed(3)} | ${(r.orig / r.fast).toFixed(1)} |`);
}
tf.dispose([x, y, stat, ...half, ...planes]);

// The supernet training step with and without these kernels is measured by @voxnas/supernet's
// `pnpm bench:fast-kernels` (a supernet import here would make a package cycle).
