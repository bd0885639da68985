import { buildConvBlock, convBlockCost, type ConvStep } from '../internal/conv-block.js';
import { defineOperator } from '../operator-spec.js';

// 3×3×1 = x×y×z: in-plane (x, y) 3×3, depth (z) 1 → kernel [1, 3, 3] in DHW.
const steps: ConvStep[] = [{ kernel: [1, 3, 3], strideAxes: [true, true, true] }];

/** `conv-3x3x1`: ReLU → in-plane conv 3×3×1 (x×y×z, kernel [1,3,3] in DHW; stride s on every axis) → InstanceNorm. */
export const conv3x3x1 = defineOperator({
  name: 'conv-3x3x1',
  summary: 'ReLU → in-plane conv 3×3×1 (x×y×z; DHW kernel [1,3,3]) → InstanceNorm',
  minInputSize: [1, 2, 2],
  build: (ctx) => buildConvBlock(steps, ctx),
  cost: (ctx) => convBlockCost(steps, ctx),
});
