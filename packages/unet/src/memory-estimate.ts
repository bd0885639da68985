import { estimateStepMemory, type OptimizerStateKind, type Shape5, type StepKernels, type StepMemoryEstimate } from '@voxnas/ops';
import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { resolve, UNET_RECOMPUTE_MODES, type UNetOptions, type UNetRecompute } from './unet.js';

/** Options of {@link estimateUNetStepMemory}. */
export interface UNetMemoryOptions {
  /** NDHWC input of one step `[batch, z, y, x, inputChannels]`. */
  readonly inputShape: Shape5;
  /** Default `'adam'`. */
  readonly optimizer?: OptimizerStateKind;
  /** Kernels that run the step (`currentBackend()?.native`). Default `'js'` (the larger estimate). */
  readonly kernels?: StepKernels;
  /** Activation recomputation of the U-Net (`UNetOptions.recompute`). Default `'none'`. */
  readonly recompute?: UNetRecompute;
}

/**
 * Estimates the peak tensor bytes of one training step of the U-Net `config` would build (forward,
 * backward, weight gradients, optimiser state) without building it: parameters and forward
 * activations counted layer by layer (convolution outputs, the normalisation's normalised and affine
 * outputs, ReLU, pooling, upsampling, the skip concatenations, the heads and the loss), then the
 * model of `estimateStepMemory` of `@voxnas/ops`. `params` equals the built network's
 * `parameterCount()`. With `kernels: 'native'` only the fused norms (instance, group) with transposed
 * upsampling are estimated smaller; other configurations keep the js estimate.
 *
 * @throws InvalidArgumentError for an invalid config (as `new UNet`) or a malformed `inputShape`;
 *   ShapeMismatchError when the input's channels or spatial sizes break the U-Net's rule.
 * @example
 * const m = estimateUNetStepMemory({ levels: 4, baseChannels: 16 }, { inputShape: [2, 64, 64, 64, 1] });
 * m.totalBytes; // the step's estimated peak
 */
export function estimateUNetStepMemory(config: Omit<UNetOptions, 'rng'>, options: UNetMemoryOptions): StepMemoryEstimate {
  const where = 'estimateUNetStepMemory';
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError(`${where}: config must be a U-Net options object, got ${String(config)}`);
  const c = resolve(config);
  const shape = options?.inputShape;
  if (!Array.isArray(shape) || shape.length !== 5 || shape.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new InvalidArgumentError(`${where}: options.inputShape must be an NDHWC shape [n, z, y, x, c] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const m = 2 ** (c.levels - 1);
  if (shape[4] !== c.inputChannels || shape.slice(1, 4).some((s) => s % m !== 0)) {
    throw new ShapeMismatchError(
      `${where}: input [${shape.join(', ')}] must have ${c.inputChannels} channel(s) and spatial sizes that are multiples of ${m} = 2^(levels−1)`,
    );
  }
  const [n, z, y, x] = shape;
  const vox = (l: number) => (n * z * y * x) / 8 ** l;
  const ch = (l: number) => c.baseChannels * 2 ** l;
  const normParams = c.norm === 'none' ? 0 : 2;
  // The native kernels fuse instance and group norm (one output instead of a dozen elementwise
  // kernels each way); batch norm, no norm and the trilinear upsampling run the same kernels either way,
  // so those configurations use the js calibration.
  const fused = options.kernels === 'native' && (c.norm === 'instance' || c.norm === 'group') && c.upsampling === 'transposed';
  // full-size tensors per conv unit (measured equivalents): conv output, normalised, γ·, + β, ReLU with
  // the composite norm; conv and ReLU (and half the norm) with the fused one; without a norm (conv +
  // bias, ReLU) the tape keeps few temporaries: 1.5
  const perUnit = c.norm === 'none' ? 1.5 : fused ? 2 : 4;
  let params = 0;
  let elems = 0;
  // The level blocks (encoder: pooling then convolutions; decoder: upsampling, concatenation,
  // convolutions) — the segments of `recompute: 'level'` — and the inputs they keep.
  const segments: number[] = [];
  let boundary = vox(0) * c.inputChannels;
  const block = (l: number, cin: number) => {
    for (let i = 0; i < c.convsPerLevel; i++) {
      const ci = i === 0 ? cin : ch(l);
      params += 27 * ci * ch(l) + (c.norm === 'none' ? ch(l) : normParams * ch(l));
      elems += perUnit * vox(l) * ch(l);
    }
  };
  for (let l = 0; l < c.levels; l++) {
    const start = elems;
    if (l > 0) elems += vox(l) * ch(l - 1);
    block(l, l === 0 ? c.inputChannels : ch(l - 1));
    segments.push(elems - start);
    boundary += vox(l) * ch(l);
  }
  for (let l = c.levels - 2; l >= 0; l--) {
    const start = elems;
    if (c.upsampling === 'transposed') {
      params += 8 * ch(l + 1) * ch(l);
      elems += vox(l) * ch(l);
    } else {
      params += ch(l + 1) * ch(l);
      // the three axis passes of the trilinear ×2 upsampling (2, 4, 8 × the coarse size; each pass
      // also builds its shifted neighbours and stacked phases: 4× measured), then the 1×1×1 conv
      elems += 4 * (14 / 8) * vox(l) * ch(l + 1) + vox(l) * ch(l);
    }
    elems += 2 * vox(l) * ch(l);
    block(l, 2 * ch(l));
    segments.push(elems - start);
    if (l > 0) boundary += vox(l) * ch(l);
    if (c.deepSupervision && l > 0) {
      params += ch(l) * c.classes + c.classes;
      elems += 2 * vox(l) * c.classes;
    }
  }
  params += ch(0) * c.classes + c.classes;
  elems += 2 * vox(0) * c.classes + 3 * vox(0) * c.classes;
  const recompute = options.recompute ?? 'none';
  if (!UNET_RECOMPUTE_MODES.includes(recompute)) {
    throw new InvalidArgumentError(`${where}: options.recompute is ${JSON.stringify(recompute)}, expected 'none' or 'level'`);
  }
  return estimateStepMemory({
    params,
    activationBytes: 4 * elems,
    inputBytes: 4 * vox(0) * (c.inputChannels + c.classes),
    optimizer: options.optimizer ?? 'adam',
    kernels: fused ? 'native' : 'js',
    // A recomputed level block holds less than its share of the whole step's tape (measured 0.8×: the
    // step-wide factor includes the heads' and the loss's temporaries).
    ...(recompute === 'level' ? { recompute: { segmentBytes: segments.map((e) => 4 * e), boundaryBytes: 4 * boundary, segmentScale: 0.8 } } : {}),
  });
}
