/**
 * Training a network on one case in memory, on any tfjs backend (WebGPU included): the case as
 * tensors, a loop of `gradientStep`s with a per-step report (progress bars, loss curves), and the
 * WebGPU rule such a loop has to respect — nothing may read GPU data synchronously, so a sampled
 * supernet's α are read asynchronously (and so cached on the CPU) before each forward pass, and
 * weights before `serializeWeights`. Browser-safe: no Node built-in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createLosses } from '@voxnas/metrics';
import { serializeWeights, type Network, type WeightsFile } from '@voxnas/ops';
import { voxelCount, type Volume } from '@voxnas/volume';
import { TrainConfigError } from './errors.js';
import { gradientStep } from './gradient-step.js';
import { Optimizer, type OptimizerSpec } from './optimizer.js';
import { checkSameGrid } from './prediction.js';
import { extractWindow } from './sliding-window.js';

/** One case as tensors: image NDHWC float32 `[1, z, y, x, channels]`, integer labels int32 `[1, z, y, x]`. */
export interface CaseTensors {
  readonly x: tf.Tensor5D;
  readonly y: tf.Tensor4D;
}

/**
 * The tensors of one case on the active backend: the image's channels become the last NDHWC axis, the
 * labels int32. Throws `GeometryError` unless the label map is on the image's grid, and
 * {@link TrainConfigError} for a label map with several channels or values that are not
 * non-negative integers. The caller disposes both tensors.
 *
 * @example
 * const { image, label } = generatePhantomCase(new Rng(7), { shape: [16, 12, 8], modalities: 1 });
 * const data = caseTensors(image, label); // x [1, 8, 12, 16, 1], y [1, 8, 12, 16]
 */
export function caseTensors(image: Volume, label: Volume): CaseTensors {
  checkSameGrid(label, image, { where: 'caseTensors (label map)' });
  if (label.channels !== 1) throw new TrainConfigError(`caseTensors: the label map has ${label.channels} channels, expected 1`);
  const [nx, ny, nz] = image.shape;
  const n = voxelCount(image.shape);
  const labels = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const l = label.data[v]!;
    if (!(Number.isInteger(l) && l >= 0)) throw new TrainConfigError(`caseTensors: label value ${l} at voxel ${v}, expected a non-negative integer`);
    labels[v] = l;
  }
  const src = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data as ArrayLike<number>);
  const input = new Float32Array(n * image.channels);
  extractWindow(src, input, image.channels, 0, [0, 0, 0], { n, nx, ny, nz, wx: nx, wy: ny, wz: nz });
  return { x: tf.tensor5d(input, [1, nz, ny, nx, image.channels]), y: tf.tensor4d(labels, [1, nz, ny, nx], 'int32') };
}

/** A network whose architecture variables must be on the CPU before a forward pass (a sampled supernet). */
interface HasArch {
  archVariables?: () => tf.Variable[];
}

/**
 * Reads the α of a supernet asynchronously, so that its sampler's synchronous read finds them cached
 * on the CPU (tfjs keeps values read by `data()`). A no-op for other networks.
 *
 * @example
 * await readArchitecture(supernet);
 * const logits = supernet.apply(x); // samples paths from the cached α
 */
export async function readArchitecture(net: Network | HasArch): Promise<void> {
  const arch = (net as HasArch).archVariables?.() ?? [];
  await Promise.all(arch.map((a) => a.data()));
}

/** What {@link trainSteps} reports after each step. */
export interface StepReport {
  /** 0-based step number. */
  readonly step: number;
  /** The loss before this step's update. */
  readonly loss: number;
  /** Wall time of the step (α read, forward, backward, update, loss read), ms. */
  readonly ms: number;
}

/** Options of {@link trainSteps}. */
export interface TrainStepsOptions {
  /** Every trainable variable is updated (a supernet's α too: a joint step). */
  readonly net: Network;
  readonly data: CaseTensors;
  /** A positive integer. */
  readonly steps: number;
  /** Default 0.01. */
  readonly lr?: number;
  /** Default Adam. */
  readonly optimizer?: OptimizerSpec;
  /** Called after every step (progress bar, loss curve); may be async (e.g. to let a page paint). */
  readonly onStep?: (report: StepReport) => void | Promise<void>;
}

const losses = createLosses(tf);

/**
 * Trains `net` for `steps` steps of Dice + cross-entropy on one case and returns the loss before each
 * update. Every read is asynchronous (WebGPU-safe); no tensor is left behind. Throws
 * {@link TrainConfigError} for a `steps` that is not a positive integer.
 *
 * @example
 * const reports = await trainSteps({ net, data, steps: 20, onStep: (r) => (bar.value = r.step + 1) });
 */
export async function trainSteps(options: TrainStepsOptions): Promise<StepReport[]> {
  const { net, data, steps } = options;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new TrainConfigError(`trainSteps: steps is ${steps}, expected a positive integer`);
  const params = net
    .namedVariables()
    .filter((v) => v.trainable)
    .map((v) => ({ name: v.path, variable: v.variable }));
  const optimizer = new Optimizer(options.optimizer ?? { kind: 'adam' }, params);
  const out: StepReport[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const t0 = performance.now();
      await readArchitecture(net);
      const { loss } = await gradientStep({ optimizer, lr: options.lr ?? 0.01, loss: () => losses.diceCe(net.apply(data.x), data.y) });
      const report = { step, loss, ms: performance.now() - t0 };
      out.push(report);
      await options.onStep?.(report);
    }
  } finally {
    optimizer.dispose();
  }
  return out;
}

/**
 * A network's weights as voxnas writes them in Node (`saveWeights`: the tfjs weights manifest of
 * `model.json` and the bytes of `weights.bin`), read asynchronously first (WebGPU-safe).
 *
 * @example
 * const { file, data } = await exportWeights(net);
 * download(new Blob([JSON.stringify(file)]), 'model.json'); download(new Blob([data]), 'weights.bin');
 */
export async function exportWeights(net: Network): Promise<{ file: WeightsFile; data: Uint8Array }> {
  await Promise.all(net.namedVariables().map((v) => v.variable.data()));
  return serializeWeights(net);
}
