import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '@voxnas/core';
import { CheckpointError, TrainConfigError } from './errors.js';
import type { BatchSource, TrainBatch } from './batch.js';

/** The parts of a `@voxnas/volume` loader batch the trainer uses. */
export interface LoaderBatch {
  /** Batch index in the loader's stream. */
  readonly index: number;
  /** NDHWC float32 `[b, z, y, x, c]`. */
  readonly images: Float32Array;
  readonly imageShape: readonly [number, number, number, number, number];
  /** int32 class labels `[b, z, y, x]`. */
  readonly labels: Int32Array;
}

/** The parts of a `@voxnas/volume` `Loader` the trainer uses. */
export interface BatchLoader {
  next(): Promise<LoaderBatch>;
  close(): Promise<void>;
}

/** Options of {@link loaderSource}. */
export interface LoaderSourceOptions {
  /**
   * Opens a loader whose stream starts at batch `startBatch` (e.g.
   * `(startBatch) => createLoader({ ...plan, startBatch })`). Called once, and again after `setState`.
   */
  readonly open: (startBatch: number) => Promise<BatchLoader>;
  /** Number of classes; labels become one-hot float32 `[b, z, y, x, classes]`. */
  readonly numClasses: number;
  /** `one-hot` (default) or `index` (int32 `[b, z, y, x]`, as the loader gives them). */
  readonly labels?: 'one-hot' | 'index';
}

/** A {@link BatchSource} over a prefetching loader, with a `close()` for its workers. */
export interface LoaderSource extends BatchSource {
  /** Index of the next batch `next()` returns (the data position saved in checkpoints). */
  readonly position: number;
  close(): Promise<void>;
}

/**
 * Adapts a `@voxnas/volume` prefetching loader (batches built by index from a seed) to the
 * trainer's {@link BatchSource}: the data position is the index of the next batch *consumed*
 * (batches prefetched but not consumed do not count), and `setState` reopens the loader there, so a
 * resumed run sees exactly the batches an uninterrupted one would.
 *
 * @example
 * const source = loaderSource({ open: (startBatch) => createLoader({ ...plan, startBatch }), numClasses: 3 });
 * const trainer = new Trainer({ network, optimizer, schedule, loss, data: source });
 */
export function loaderSource(options: LoaderSourceOptions): LoaderSource {
  const { numClasses } = options;
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) {
    throw new TrainConfigError(`loaderSource: numClasses is ${numClasses}, expected an integer ≥ 1`);
  }
  let position = 0;
  let loader: Promise<BatchLoader> | null = null;
  let openedAt = -1;
  const close = async () => {
    const l = loader;
    loader = null;
    if (l) await (await l).close();
  };
  return {
    get position() {
      return position;
    },
    async next(): Promise<TrainBatch> {
      if (loader === null || openedAt < 0) {
        openedAt = position;
        loader = options.open(position);
      }
      const batch = await (await loader).next();
      if (batch.index !== position) {
        throw new CheckpointError(`loaderSource: the loader returned batch ${batch.index}, expected batch ${position}`);
      }
      position += 1;
      const [b, z, y, x] = batch.imageShape;
      if (batch.labels.length !== b * z * y * x) {
        throw new TrainConfigError(`loaderSource: batch ${batch.index} has ${batch.labels.length} labels, expected ${b * z * y * x}`);
      }
      const image = tf.tensor5d(batch.images, [...batch.imageShape]);
      const label = tf.tidy(() => {
        const idx = tf.tensor4d(batch.labels, [b, z, y, x], 'int32');
        return options.labels === 'index' ? idx : tf.cast(tf.oneHot(idx, numClasses), 'float32');
      });
      return { image, label };
    },
    getState(): JsonValue {
      return { batch: position };
    },
    async setState(state: JsonValue): Promise<void> {
      const next = (state as { batch?: unknown } | null)?.batch;
      if (!(typeof next === 'number' && Number.isInteger(next) && next >= 0)) {
        throw new CheckpointError(`loaderSource.setState: expected { batch: integer ≥ 0 }, got ${JSON.stringify(state)}`);
      }
      await close();
      position = next;
      openedAt = -1;
    },
    close,
  };
}
