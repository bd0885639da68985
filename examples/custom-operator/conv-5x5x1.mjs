// A custom operator as a voxnas plugin: importing this module registers `conv-5x5x1` — ReLU → in-plane
// 5×5 convolution (x×y×z = 5×5×1, tfjs DHW kernel [1, 5, 5]) → InstanceNorm — with the operator
// registry of @voxnas/ops. List the file under `plugins:` in a voxnas config and the name under
// `search.candidates:`, and the search can pick it like a built-in operator.
import { Conv3d, InstanceNorm3d, ReLU, Sequential, defineOperator, registerOperator } from '@voxnas/ops';

export const conv5x5x1 = defineOperator({
  name: 'conv-5x5x1',
  summary: 'ReLU → in-plane conv 5×5×1 (x×y×z; DHW kernel [1,5,5]) → InstanceNorm',
  // the smallest input the 5×5 window still covers the centre and a neighbour of (z, y, x)
  minInputSize: [1, 3, 3],
  build: ({ channelsIn, channelsOut, stride, rng }) =>
    new Sequential({
      relu: new ReLU(),
      conv: new Conv3d({ channelsIn, channelsOut, kernel: [1, 5, 5], stride, rng: rng.fork('conv'), label: 'conv-5x5x1' }),
      norm: new InstanceNorm3d({ channels: channelsOut }),
    }),
  // The README "Cost model" rules of @voxnas/ops: ReLU 1 FLOP per input element, convolution
  // 2·taps·cIn·cOut per output voxel, InstanceNorm 5 per output element; bytes of every float32 tensor
  // the forward pass produces (ReLU output, conv output, norm output).
  cost: ({ inputShape: [n, d, h, w], channelsIn, channelsOut, stride }) => {
    const inputElements = n * d * h * w * channelsIn;
    const outVoxels = n * Math.ceil(d / stride) * Math.ceil(h / stride) * Math.ceil(w / stride);
    return {
      params: 25 * channelsIn * channelsOut,
      flops: inputElements + 2 * 25 * channelsIn * channelsOut * outVoxels + 5 * outVoxels * channelsOut,
      activationBytes: 4 * (inputElements + 2 * outVoxels * channelsOut),
    };
  },
});

registerOperator(conv5x5x1);
