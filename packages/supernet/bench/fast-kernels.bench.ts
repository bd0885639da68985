// `pnpm bench:fast-kernels [--rounds N]`: one supernet training step with tfjs-backend-cpu's JavaScript
// kernels against @voxnas/kernels' typed-array kernels (registerFastKernels), native convolutions in both
// columns when the addon loads. Both variants run in the same process, interleaved round by round; times
// are medians in milliseconds, the ratio is original / fast.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { nativeStatus, registerFastKernels, registerNativeKernels, unregisterFastKernels } from '@voxnas/kernels';
import { initBackend } from '@voxnas/ops';
import { Supernet, createSearchSpace } from '@voxnas/supernet';

const argv = process.argv.slice(2);
const i = argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(argv[i + 1]) : 8;
await initBackend({ logger: (l) => console.log(l) });
registerNativeKernels();
console.log(nativeStatus.loaded ? `native convolutions: ${nativeStatus.threads} threads` : `native kernels not loaded: ${nativeStatus.reason}`);

const rng = new Rng(1);
const randn = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
const net = new Supernet(createSearchSpace({ levels: 2, baseChannels: 6, nodes: 2, inputChannels: 2, classes: 4 }), { rng: new Rng(1) });
const vars = [...net.weightVariables(), ...net.archVariables()];
const input = randn([2, 16, 16, 16, 2]) as tf.Tensor5D;
const labels = tf.tidy(() => tf.oneHot(tf.randomUniformInt([2, 16, 16, 16], 0, 4, 1), 4)) as tf.Tensor5D;
const step = () => {
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(net.forward(input))), -1))) as tf.Scalar, vars);
  tf.dispose([value, ...Object.values(grads)]);
};
const orig: number[] = [];
const fast: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which variant runs first each round (garbage-collection bias).
  for (const variant of r % 2 === 0 ? ['orig', 'fast'] : ['fast', 'orig']) {
    if (variant === 'orig') unregisterFastKernels();
    else registerFastKernels();
    const t = performance.now();
    step();
    (variant === 'orig' ? orig : fast).push(performance.now() - t);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log('\n| case | tfjs-cpu ms | fast ms | × faster |\n|---|---:|---:|---:|');
console.log(`| supernet step (levels 2, base 6, 2 nodes) [2,16,16,16,2] | ${median(orig).toFixed(0)} | ${median(fast).toFixed(0)} | ${(median(orig) / median(fast)).toFixed(2)} |`);
tf.dispose([input, labels]);
net.dispose();
