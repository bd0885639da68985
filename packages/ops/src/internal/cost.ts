import type { OperatorCost, Shape5 } from '../operator-spec.js';

/** Elements of a shape. */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Output shape of a 'same'-padded window op with per-axis strides [z, y, x]. */
export function strided(shape: Shape5, stride: readonly [number, number, number], channels: number): Shape5 {
  return [shape[0], Math.ceil(shape[1] / stride[0]), Math.ceil(shape[2] / stride[1]), Math.ceil(shape[3] / stride[2]), channels];
}

/** Cost of trilinear ×2 upsampling: 3 FLOPs per output element of each of the three axis passes. */
export function upsampleCost(shape: Shape5): OperatorCost {
  const [n, d, h, w, c] = shape;
  const passes = n * c * (2 * d * h * w + 4 * d * h * w + 8 * d * h * w);
  return { params: 0, flops: 3 * passes, activationBytes: 4 * passes };
}

/** Sums costs. */
export function sumCosts(...costs: OperatorCost[]): OperatorCost {
  return costs.reduce(
    (a, b) => ({ params: a.params + b.params, flops: a.flops + b.flops, activationBytes: a.activationBytes + b.activationBytes }),
    { params: 0, flops: 0, activationBytes: 0 },
  );
}

/** ReLU on `shape`: 1 FLOP per element. */
export function reluCost(shape: Shape5): OperatorCost {
  const e = elements(shape);
  return { params: 0, flops: e, activationBytes: 4 * e };
}

/** InstanceNorm (no affine) on `shape`: 5 FLOPs per element. */
export function instanceNormCost(shape: Shape5): OperatorCost {
  const e = elements(shape);
  return { params: 0, flops: 5 * e, activationBytes: 4 * e };
}

/** Convolution producing `outShape` with `taps` filter taps per input channel and `groups` groups. */
export function convCost(outShape: Shape5, taps: number, channelsIn: number, groups = 1): OperatorCost {
  const cOut = outShape[4];
  const e = elements(outShape);
  return { params: (taps * channelsIn * cOut) / groups, flops: (2 * e * taps * channelsIn) / groups, activationBytes: 4 * e };
}
