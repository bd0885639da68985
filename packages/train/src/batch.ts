import type * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '@voxnas/core';

/** One training batch as tensors. The trainer disposes both after the step. */
export interface TrainBatch {
  /** NDHWC `[n, z, y, x, channels]` float32. */
  readonly image: tf.Tensor5D;
  /** Whatever the loss expects (one-hot NDHWC, or integer labels). */
  readonly label: tf.Tensor;
}

/**
 * A resumable stream of batches: `getState()` is the position *after the batches handed out so
 * far* (a prefetching loader must not count batches it only prefetched), and `setState` resumes
 * there, so a restored run sees the same batches as an uninterrupted one.
 */
export interface BatchSource {
  next(): TrainBatch | Promise<TrainBatch>;
  getState(): JsonValue;
  setState(state: JsonValue): void | Promise<void>;
}

/** `(network output, batch) → scalar loss`, e.g. a Dice+CE loss from `@voxnas/metrics`. */
export type LossFn = (output: tf.Tensor5D, batch: TrainBatch) => tf.Scalar;
