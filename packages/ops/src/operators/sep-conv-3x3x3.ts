import { convCost, instanceNormCost, reluCost, strided, sumCosts } from '../internal/cost.js';
import { ReLU } from '../modules/activation.js';
import { Conv3d, DepthwiseConv3d } from '../modules/conv3d.js';
import { InstanceNorm3d } from '../modules/norm.js';
import { Sequential } from '../modules/sequential.js';
import { defineOperator } from '../operator-spec.js';

/** `sep-conv-3x3x3`: ReLU → depthwise 3×3×3 (stride s) → pointwise 1×1×1 → InstanceNorm. */
export const sepConv3x3x3 = defineOperator({
  name: 'sep-conv-3x3x3',
  summary: 'ReLU → depthwise 3×3×3 → pointwise 1×1×1 → InstanceNorm',
  minInputSize: [2, 2, 2],
  build: ({ channelsIn, channelsOut, stride, rng }) =>
    new Sequential({
      relu: new ReLU(),
      depthwise: new DepthwiseConv3d({ channels: channelsIn, kernel: 3, stride, rng: rng.fork('depthwise') }),
      pointwise: new Conv3d({ channelsIn, channelsOut, kernel: 1, rng: rng.fork('pointwise') }),
      norm: new InstanceNorm3d({ channels: channelsOut }),
    }),
  cost: ({ inputShape, channelsIn, channelsOut, stride }) => {
    const mid = strided(inputShape, [stride, stride, stride], channelsIn);
    const out = strided(inputShape, [stride, stride, stride], channelsOut);
    return sumCosts(reluCost(inputShape), convCost(mid, 27, channelsIn, channelsIn), convCost(out, 1, channelsIn), instanceNormCost(out));
  },
});
