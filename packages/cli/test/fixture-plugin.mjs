// A plugin for the CLI tests: registers `fixture-pointwise` (ReLU → conv 1×1×1 → InstanceNorm).
import { Conv3d, InstanceNorm3d, ReLU, Sequential, defineOperator, registerOperator } from '@voxnas/ops';

registerOperator(
  defineOperator({
    name: 'fixture-pointwise',
    summary: 'ReLU → conv 1×1×1 → InstanceNorm (CLI test fixture)',
    build: ({ channelsIn, channelsOut, stride, rng }) =>
      new Sequential({
        relu: new ReLU(),
        conv: new Conv3d({ channelsIn, channelsOut, kernel: 1, stride, rng: rng.fork('conv') }),
        norm: new InstanceNorm3d({ channels: channelsOut }),
      }),
    cost: ({ inputShape: [n, d, h, w], channelsIn, channelsOut, stride }) => {
      const out = n * Math.ceil(d / stride) * Math.ceil(h / stride) * Math.ceil(w / stride);
      return { params: channelsIn * channelsOut, flops: n * d * h * w * channelsIn + 2 * channelsIn * channelsOut * out + 5 * out * channelsOut, activationBytes: 4 * (n * d * h * w * channelsIn + 2 * out * channelsOut) };
    },
  }),
);
