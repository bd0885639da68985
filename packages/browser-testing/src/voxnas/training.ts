/**
 * Training voxnas networks in the page (any tfjs backend, WebGPU included): the phantom case from
 * the Node fixtures, a training loop built on @voxnas/train's `gradientStep` and `Optimizer`, and
 * the one WebGPU rule the loop has to respect — nothing may read GPU data synchronously, so a
 * sampled supernet's α are read asynchronously (and so cached on the CPU) before each forward pass,
 * and weights before `serializeWeights`.
 */
import type { Network } from '@voxnas/ops';
import { serializeWeights, type WeightsFile } from '@voxnas/ops';
import { createLosses } from '@voxnas/metrics';
import { Optimizer, gradientStep, type OptimizerSpec } from '@voxnas/train';
import { decodeNifti } from '@voxnas/volume';
import * as tf from '@tensorflow/tfjs-core';

/** One case as tensors: image NDHWC `[1, z, y, x, c]`, integer labels `[1, z, y, x]`. */
export interface CaseTensors {
  readonly x: tf.Tensor5D;
  readonly y: tf.Tensor4D;
}

/** Decodes a `.nii(.gz)` image and label pair into tensors on the active backend. */
export function caseFromNifti(imageBytes: Uint8Array, labelBytes: Uint8Array): CaseTensors {
  const image = decodeNifti(imageBytes, { name: 'image' }).volume;
  const label = decodeNifti(labelBytes, { name: 'label' }).volume;
  const [nx, ny, nz] = image.shape;
  const x = tf.tensor5d(Float32Array.from(image.data as ArrayLike<number>), [1, nz, ny, nx, image.channels]);
  const y = tf.tensor4d(Int32Array.from(label.data as ArrayLike<number>), [1, nz, ny, nx], 'int32');
  return { x, y };
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
  readonly step: number;
  readonly loss: number;
  readonly ms: number;
}

/** Options of {@link trainSteps}. */
export interface TrainStepsOptions {
  /** Every trainable variable is updated (a supernet's α too: a joint step). */
  readonly net: Network;
  readonly data: CaseTensors;
  readonly steps: number;
  /** Default 0.01. */
  readonly lr?: number;
  /** Default Adam. */
  readonly optimizer?: OptimizerSpec;
  /** Called after every step (progress bar, loss curve); may be async (e.g. to let the page paint). */
  readonly onStep?: (report: StepReport) => void | Promise<void>;
}

const losses = createLosses(tf);

/**
 * Trains `net` for `steps` steps of Dice + cross-entropy on one case and returns the loss before each
 * update. Every read is asynchronous (WebGPU-safe); no tensor is left behind.
 *
 * @example
 * const reports = await trainSteps({ net, data, steps: 20, onStep: (r) => bar.update(r) });
 */
export async function trainSteps(options: TrainStepsOptions): Promise<StepReport[]> {
  const { net, data, steps } = options;
  const optimizer = new Optimizer(options.optimizer ?? { kind: 'adam' }, net.namedVariables().filter((v) => v.trainable).map((v) => ({ name: v.path, variable: v.variable })));
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
 * Exports a network's weights as voxnas does in Node (`saveWeights`: tfjs weights manifest
 * `model.json` + `weights.bin`), reading them asynchronously first.
 *
 * @example
 * const { file, data } = await exportWeights(net);
 * download(new Blob([JSON.stringify(file)]), 'model.json'); download(new Blob([data]), 'weights.bin');
 */
export async function exportWeights(net: Network): Promise<{ file: WeightsFile; data: Uint8Array }> {
  await Promise.all(net.namedVariables().map((v) => v.variable.data()));
  return serializeWeights(net);
}
