import { buildConvBlock, convBlockCost, type ConvStep } from '../internal/conv-block.js';
import { defineOperator } from '../operator-spec.js';

const steps: ConvStep[] = [{ kernel: [3, 3, 3], strideAxes: [true, true, true] }];

/** `conv-3x3x3`: ReLU → conv 3×3×3 (stride s on every axis) → InstanceNorm. */
export const conv3x3x3 = defineOperator({
  name: 'conv-3x3x3',
  summary: 'ReLU → conv 3×3×3 → InstanceNorm',
  minInputSize: [2, 2, 2],
  build: (ctx) => buildConvBlock(steps, ctx),
  cost: (ctx) => convBlockCost(steps, ctx),
});
