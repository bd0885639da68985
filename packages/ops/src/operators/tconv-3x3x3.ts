import { convCost, elements, instanceNormCost, reluCost, sumCosts } from '../internal/cost.js';
import { ReLU } from '../modules/activation.js';
import { ConvTranspose3d } from '../modules/conv3d.js';
import { InstanceNorm3d } from '../modules/norm.js';
import { Sequential } from '../modules/sequential.js';
import { defineOperator } from '../operator-spec.js';

/**
 * `tconv-3x3x3`: ReLU → transposed conv 3×3×3 → InstanceNorm. On expansion edges the transposed conv
 * has stride 2 (output 2n); on normal edges stride 1. Not available on reduction edges.
 */
export const tconv3x3x3 = defineOperator({
  name: 'tconv-3x3x3',
  summary: 'ReLU → transposed conv 3×3×3 (stride 2 on expansion edges) → InstanceNorm',
  strides: [1],
  upsample: 'native',
  minInputSize: [2, 2, 2],
  build: ({ channelsIn, channelsOut, rng, options }) =>
    new Sequential({
      relu: new ReLU(),
      conv: new ConvTranspose3d({ channelsIn, channelsOut, kernel: 3, stride: options.upsample === 2 ? 2 : 1, rng: rng.fork('conv') }),
      norm: new InstanceNorm3d({ channels: channelsOut }),
    }),
  cost: ({ inputShape, channelsIn, channelsOut, options }) => {
    const up = options.upsample === 2 ? 2 : 1;
    const [n, d, h, w] = inputShape;
    const out = [n, d * up, h * up, w * up, channelsOut] as const;
    // Each input voxel scatters 27 taps × cOut: 2·27·cIn·cOut FLOPs per input voxel.
    const conv = convCost([n, d, h, w, channelsOut], 27, channelsIn);
    return sumCosts(reluCost(inputShape), { ...conv, activationBytes: 4 * elements(out) }, instanceNormCost(out));
  },
});
