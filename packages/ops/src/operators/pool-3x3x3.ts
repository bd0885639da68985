import { elements, strided } from '../internal/cost.js';
import { Pool3d } from '../modules/resample.js';
import { defineOperator, type CostContext } from '../operator-spec.js';

function poolCost({ inputShape, channelsOut, stride }: CostContext) {
  const e = elements(strided(inputShape, [stride, stride, stride], channelsOut));
  return { params: 0, flops: 27 * e, activationBytes: 4 * e };
}

/** `max-pool-3x3x3`: max pooling 3×3×3 ('same', stride s); needs channelsIn = channelsOut. */
export const maxPool3x3x3 = defineOperator({
  name: 'max-pool-3x3x3',
  summary: 'max pool 3×3×3',
  sameChannels: true,
  minInputSize: [2, 2, 2],
  build: ({ stride }) => new Pool3d({ kind: 'max', kernel: 3, stride }),
  cost: poolCost,
});

/** `avg-pool-3x3x3`: average pooling 3×3×3 ('same', stride s, padding not counted); needs channelsIn = channelsOut. */
export const avgPool3x3x3 = defineOperator({
  name: 'avg-pool-3x3x3',
  summary: 'avg pool 3×3×3 (padding excluded)',
  sameChannels: true,
  minInputSize: [2, 2, 2],
  build: ({ stride }) => new Pool3d({ kind: 'avg', kernel: 3, stride }),
  cost: poolCost,
});
