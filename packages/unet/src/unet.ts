import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm3d,
  Conv3d,
  ConvTranspose3d,
  GroupNorm3d,
  InstanceNorm3d,
  Module,
  Pool3d,
  recompute,
  ReLU,
  Sequential,
  Upsample3d,
  type Network,
  type OnnxEmitContext,
} from '@voxnas/ops';
import { InvalidArgumentError, ShapeMismatchError, type Rng } from '@voxnas/core';

/** Normalisation after each convolution. */
export type UNetNorm = 'instance' | 'batch' | 'group' | 'none';

/** How the decoder doubles the resolution: 2×2×2 transposed convolution (Çiçek) or trilinear ×2 then conv 1×1×1. */
export type UNetUpsampling = 'transposed' | 'trilinear';

/**
 * The values of {@link UNetNorm} and {@link UNetUpsampling} (what a stored `network.json` may name).
 *
 * @example
 * UNET_NORMS.includes('instance'); // true
 */
export const UNET_NORMS = ['instance', 'batch', 'group', 'none'] as const satisfies readonly UNetNorm[];
/** See {@link UNET_NORMS}. */
export const UNET_UPSAMPLINGS = ['transposed', 'trilinear'] as const satisfies readonly UNetUpsampling[];

/** Options of {@link UNet} (every field but `rng` has a default). */
export interface UNetOptions {
  /** Root stream of the initial weights. */
  readonly rng: Rng;
  /** Resolutions (≥ 2): `levels − 1` max-poolings; inputs must be multiples of 2^(levels−1). Default 4. */
  readonly levels?: number;
  /** Channels at the finest level, doubled per level. Default 16. */
  readonly baseChannels?: number;
  /** Convolutions (3×3×3 → norm → ReLU) per level and path. Default 2. */
  readonly convsPerLevel?: number;
  /** Default `'instance'` (the supernet's operators use InstanceNorm); Çiçek et al. used `'batch'`. */
  readonly norm?: UNetNorm;
  /** Groups of `'group'` norm (must divide every width). Default 4. */
  readonly groups?: number;
  /** Default `'transposed'`. */
  readonly upsampling?: UNetUpsampling;
  /** Add 1×1×1 heads at the decoder levels 1 … levels−2 (see {@link UNet.applyDeepSupervision}). Default false. */
  readonly deepSupervision?: boolean;
  /** Default 1. */
  readonly inputChannels?: number;
  /** Output channels (class logits, background included). Default 2. */
  readonly classes?: number;
  /**
   * Activation recomputation in training (see {@link UNetRecompute}); not part of the architecture
   * (`config`), `setRecompute` changes it. Default `'none'`.
   */
  readonly recompute?: UNetRecompute;
}

/**
 * Activation recomputation of the U-Net in training: `'none'` keeps every activation the backward pass
 * needs; `'level'` makes each level's block one recomputation segment (`recompute` of `@voxnas/ops`) —
 * an encoder level (max-pooling, then its convolutions) and a decoder level (upsampling, the skip
 * concatenation, its convolutions) — so a step keeps the blocks' inputs and outputs and recomputes one
 * block's inside at a time in the backward pass: the same gradients for about one more forward pass.
 */
export type UNetRecompute = 'none' | 'level';

/** The values of {@link UNetRecompute}. */
export const UNET_RECOMPUTE_MODES = ['none', 'level'] as const satisfies readonly UNetRecompute[];

/** The resolved configuration of a U-Net (all defaults filled in; the architecture, without `recompute`). */
export type UNetConfig = Required<Omit<UNetOptions, 'rng' | 'recompute'>>;

const DEFAULTS: UNetConfig = {
  levels: 4,
  baseChannels: 16,
  convsPerLevel: 2,
  norm: 'instance',
  groups: 4,
  upsampling: 'transposed',
  deepSupervision: false,
  inputChannels: 1,
  classes: 2,
};

function checkRecompute(mode: UNetRecompute): UNetRecompute {
  if (!UNET_RECOMPUTE_MODES.includes(mode)) {
    throw new InvalidArgumentError(`UNet: recompute is ${JSON.stringify(mode)}, expected 'none' or 'level'`);
  }
  return mode;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidArgumentError(`UNet: ${name} is ${String(v)}, expected an integer in [${lo}, ${hi}]`);
  }
}

export function resolve(options: Omit<UNetOptions, 'rng'>): UNetConfig {
  const c: UNetConfig = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof UNetConfig>) {
    const v = options[key];
    if (v !== undefined) (c as Record<string, unknown>)[key] = v;
  }
  checkInt('levels', c.levels, 2, 7);
  checkInt('baseChannels', c.baseChannels, 1, 4096);
  checkInt('convsPerLevel', c.convsPerLevel, 1, 8);
  checkInt('inputChannels', c.inputChannels, 1, 4096);
  checkInt('classes', c.classes, 1, 4096);
  checkInt('groups', c.groups, 1, 4096);
  if (!['instance', 'batch', 'group', 'none'].includes(c.norm)) {
    throw new InvalidArgumentError(`UNet: norm is ${JSON.stringify(c.norm)}, expected 'instance', 'batch', 'group' or 'none'`);
  }
  if (c.norm === 'group' && c.baseChannels % c.groups !== 0) {
    throw new InvalidArgumentError(`UNet: groups ${c.groups} does not divide baseChannels ${c.baseChannels} (norm 'group')`);
  }
  if (c.upsampling !== 'transposed' && c.upsampling !== 'trilinear') {
    throw new InvalidArgumentError(`UNet: upsampling is ${JSON.stringify(c.upsampling)}, expected 'transposed' or 'trilinear'`);
  }
  if (typeof c.deepSupervision !== 'boolean') {
    throw new InvalidArgumentError(`UNet: deepSupervision is ${JSON.stringify(c.deepSupervision)}, expected a boolean`);
  }
  return Object.freeze(c);
}

function convBlock(c: UNetConfig, channelsIn: number, channelsOut: number, rng: Rng): Sequential {
  const layers: Record<string, Module<tf.Tensor5D, tf.Tensor5D>> = {};
  for (let i = 0; i < c.convsPerLevel; i++) {
    const cin = i === 0 ? channelsIn : channelsOut;
    // A bias is redundant before a norm; kept without one.
    layers[`conv${i + 1}`] = new Conv3d({ channelsIn: cin, channelsOut, kernel: 3, bias: c.norm === 'none', rng: rng.fork(`conv${i + 1}`) });
    if (c.norm === 'instance') layers[`norm${i + 1}`] = new InstanceNorm3d({ channels: channelsOut, affine: true });
    if (c.norm === 'batch') layers[`norm${i + 1}`] = new BatchNorm3d({ channels: channelsOut });
    if (c.norm === 'group') layers[`norm${i + 1}`] = new GroupNorm3d({ channels: channelsOut, groups: c.groups });
    layers[`relu${i + 1}`] = new ReLU();
  }
  return new Sequential(layers);
}

/**
 * Named configurations (spread them into the options: `new UNet({ ...UNET_PRESETS.matched, rng })`):
 * - `cicek`: the 2016 paper's network: 4 levels, 32 base channels, 2 convolutions per level, BatchNorm,
 *   transposed-convolution upsampling;
 * - `matched`: sized like the default searched network of `@voxnas/supernet` (4 levels; 32 base
 *   channels → 5.60 M parameters against 5.18 M for the median random child of the default space,
 *   3.4–7.1 M over 30 draws), with InstanceNorm like the supernet's operators, for a fair comparison.
 *
 * @example
 * const baseline = new UNet({ ...UNET_PRESETS.matched, rng: new Rng(1) }); // 5,600,930 parameters
 */
export const UNET_PRESETS: Readonly<Record<'cicek' | 'matched', Omit<UNetOptions, 'rng'>>> = Object.freeze({
  cicek: Object.freeze({ levels: 4, baseChannels: 32, convsPerLevel: 2, norm: 'batch', upsampling: 'transposed' } as const),
  matched: Object.freeze({ levels: 4, baseChannels: 32, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed' } as const),
});

/**
 * A 3D U-Net after Çiçek et al. (2016) behind the `Network` interface: per level `convsPerLevel` ×
 * (conv 3×3×3 → norm → ReLU), 2×2×2 max-pooling down, transposed-convolution (or trilinear + 1×1×1)
 * up, skip connections by concatenation, a 1×1×1 head, and optional deep-supervision heads. Level `l`
 * has `baseChannels · 2^l` channels. Input and output are NDHWC; the output has the input's spatial
 * size and `classes` channels of logits.
 *
 * @example
 * const net = new UNet({ rng: new Rng(1), levels: 3, baseChannels: 8 });
 * const logits = net.apply(x); // [1, 16, 24, 32, 1] → [1, 16, 24, 32, 2]
 */
export class UNet extends Module<tf.Tensor5D, tf.Tensor5D> implements Network {
  readonly config: UNetConfig;
  private readonly encoders: Sequential[] = [];
  private readonly pool = new Pool3d({ kind: 'max', kernel: 2, stride: 2 });
  private readonly ups: Array<Module<tf.Tensor5D, tf.Tensor5D>> = [];
  private readonly decoders: Sequential[] = [];
  private readonly head: Conv3d;
  private readonly auxHeads: Conv3d[] = [];
  private recomputeMode: UNetRecompute = 'none';

  constructor(options: UNetOptions) {
    super();
    if (options === undefined || options.rng === undefined) throw new InvalidArgumentError('UNet: options.rng is required');
    const c = resolve(options);
    if (options.recompute !== undefined) checkRecompute(options.recompute);
    this.config = c;
    if (c.norm === 'group') {
      for (let l = 0; l < c.levels; l++) {
        if ((c.baseChannels * 2 ** l) % c.groups !== 0) throw new InvalidArgumentError(`UNet: groups ${c.groups} does not divide ${c.baseChannels * 2 ** l}`);
      }
    }
    const rng = options.rng;
    const ch = (l: number) => c.baseChannels * 2 ** l;
    for (let l = 0; l < c.levels; l++) {
      this.encoders.push(this.addModule(`enc${l}`, convBlock(c, l === 0 ? c.inputChannels : ch(l - 1), ch(l), rng.fork(`enc${l}`))));
    }
    for (let l = c.levels - 2; l >= 0; l--) {
      const up =
        c.upsampling === 'transposed'
          ? new ConvTranspose3d({ channelsIn: ch(l + 1), channelsOut: ch(l), kernel: 2, stride: 2, rng: rng.fork(`up${l}`) })
          : new Sequential({
              upsample: new Upsample3d({ scale: 2, mode: 'trilinear' }),
              conv: new Conv3d({ channelsIn: ch(l + 1), channelsOut: ch(l), kernel: 1, rng: rng.fork(`up${l}`) }),
            });
      this.ups.push(this.addModule(`up${l}`, up));
      this.decoders.push(this.addModule(`dec${l}`, convBlock(c, 2 * ch(l), ch(l), rng.fork(`dec${l}`))));
      if (c.deepSupervision && l > 0) {
        this.auxHeads.push(this.addModule(`aux${l}`, new Conv3d({ channelsIn: ch(l), channelsOut: c.classes, kernel: 1, bias: true, rng: rng.fork(`aux${l}`) })));
      }
    }
    this.head = this.addModule('head', new Conv3d({ channelsIn: ch(0), channelsOut: c.classes, kernel: 1, bias: true, rng: rng.fork('head') }));
    if (options.recompute !== undefined) this.recomputeMode = options.recompute;
  }

  /** The activation recomputation (see {@link UNetRecompute}). Default `'none'`. */
  get recompute(): UNetRecompute {
    return this.recomputeMode;
  }

  /**
   * Switches activation recomputation (see {@link UNetRecompute}); takes effect at the next forward pass.
   *
   * @throws InvalidArgumentError for another value than `'none'` or `'level'`.
   */
  setRecompute(mode: UNetRecompute): this {
    this.recomputeMode = checkRecompute(mode);
    return this;
  }

  /** `fn(...inputs)`, as one recomputation segment over `modules` when recomputing by level. */
  private level(modules: ReadonlyArray<Module<tf.Tensor5D, tf.Tensor5D>>, inputs: tf.Tensor5D[], fn: (...xs: tf.Tensor5D[]) => tf.Tensor5D): tf.Tensor5D {
    if (this.recomputeMode === 'none') return fn(...inputs);
    return recompute((...xs) => fn(...(xs as tf.Tensor5D[])), { inputs, variables: modules.flatMap((m) => m.trainableVariables()) });
  }

  /** Every spatial size must be a multiple of this (2^(levels−1)). */
  get spatialMultiple(): number {
    return 2 ** (this.config.levels - 1);
  }

  private run(x: tf.Tensor5D, where: string): tf.Tensor5D[] {
    const c = this.config;
    const m = this.spatialMultiple;
    if (x.rank !== 5 || x.shape[4] !== c.inputChannels) {
      throw new ShapeMismatchError(`${where}: input has shape [${x.shape.join(', ')}], expected NDHWC [n, z, y, x, ${c.inputChannels}]`);
    }
    const spatial = x.shape.slice(1, 4);
    if (spatial.some((s) => s % m !== 0)) {
      throw new ShapeMismatchError(
        `${where}: spatial size [${spatial.join(', ')}] (z, y, x) must be multiples of ${m} = 2^(levels−1), expected e.g. [${spatial.map((s) => Math.ceil(s / m) * m).join(', ')}] (pad or crop the input)`,
      );
    }
    const skips: tf.Tensor5D[] = [];
    let h = x;
    for (let l = 0; l < c.levels; l++) {
      const enc = this.encoders[l]!;
      // Level l > 0 starts with the max-pooling of the finer level's output.
      h = this.level([enc], [h], (t) => enc.forward(l === 0 ? t : this.pool.forward(t)));
      if (l < c.levels - 1) skips.push(h);
    }
    const aux: tf.Tensor5D[] = [];
    let k = 0;
    for (let i = 0; i < this.decoders.length; i++) {
      const l = c.levels - 2 - i;
      const [up, dec] = [this.ups[i]!, this.decoders[i]!];
      h = this.level([up, dec], [h, skips[l]!], (t, skip) => dec.forward(tf.concat([skip!, up.forward(t)], 4) as tf.Tensor5D));
      if (c.deepSupervision && l > 0) aux.unshift(this.auxHeads[k++]!.forward(h));
    }
    return [this.head.forward(h), ...aux];
  }

  /**
   * ONNX export of the full-resolution logits (the same flow as `forward`; deep-supervision heads are
   * not exported). Used by `exportOnnx` of `@voxnas/onnx`.
   */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    const c = this.config;
    const skips: string[] = [];
    let h = x;
    for (let l = 0; l < c.levels; l++) {
      h = ctx.module(this.encoders[l]!, h, `enc${l}`);
      if (l < c.levels - 1) {
        skips.push(h);
        h = ctx.module(this.pool, h, `pool${l}`);
      }
    }
    for (let i = 0; i < this.decoders.length; i++) {
      const l = c.levels - 2 - i;
      h = ctx.module(this.ups[i]!, h, `up${l}`);
      h = ctx.module(this.decoders[i]!, ctx.concat([skips[l]!, h], { name: `concat${l}` }), `dec${l}`);
    }
    return ctx.module(this.head, h, 'head');
  }

  /** Logits `[n, z, y, x, classes]` at the input's resolution. */
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return this.run(x, 'UNet.apply')[0]!;
  }

  /**
   * All outputs: the full-resolution logits, then (with `deepSupervision`) the logits of decoder levels
   * 1, 2, … (each half the previous resolution), for a weighted deep-supervision loss. Runs in a tidy.
   *
   * @example
   * const [full, half, quarter] = net.applyDeepSupervision(x);
   */
  applyDeepSupervision(x: tf.Tensor5D): tf.Tensor5D[] {
    return tf.tidy(() => this.run(x, 'UNet.applyDeepSupervision'));
  }
}
