import { buildConvBlock, convBlockCost, type ConvStep } from '../internal/conv-block.js';
import { defineOperator } from '../operator-spec.js';

const steps: ConvStep[] = [{ kernel: [3, 3, 3], dilation: 2, strideAxes: [true, true, true] }];

/** `dil-conv-3x3x3`: ReLU → conv 3×3×3 dilated by 2 (5×5×5 extent) → InstanceNorm. FLOPs count the 27 real taps. */
export const dilConv3x3x3 = defineOperator({
  name: 'dil-conv-3x3x3',
  summary: 'ReLU → conv 3×3×3 dilation 2 → InstanceNorm',
  minInputSize: [3, 3, 3],
  build: (ctx) => buildConvBlock(steps, ctx),
  cost: (ctx) => convBlockCost(steps, ctx),
});
