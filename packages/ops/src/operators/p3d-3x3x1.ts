import { buildConvBlock, convBlockCost, type ConvStep } from '../internal/conv-block.js';
import { defineOperator } from '../operator-spec.js';

const steps: ConvStep[] = [
  { kernel: [1, 3, 3], strideAxes: [false, true, true] },
  { kernel: [3, 1, 1], strideAxes: [true, false, false] },
];

/** `p3d-3x3x1`: pseudo-3D — ReLU → conv 3×3×1 (in-plane, stride s in y, x) → conv 1×1×3 (depth, stride s in z) → InstanceNorm. */
export const p3d3x3x1 = defineOperator({
  name: 'p3d-3x3x1',
  summary: 'ReLU → conv 3×3×1 (in-plane) → conv 1×1×3 (depth) → InstanceNorm',
  minInputSize: [2, 2, 2],
  build: (ctx) => buildConvBlock(steps, ctx),
  cost: (ctx) => convBlockCost(steps, ctx),
});
