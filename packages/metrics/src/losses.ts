/**
 * Differentiable segmentation losses on TensorFlow.js tensors.
 *
 * This file imports tfjs **types only**: the caller passes its `tf` namespace to {@link createLosses},
 * so `@voxnas/metrics` loads, and every metric/statistic function runs, without TensorFlow.js
 * installed (it is an optional peer dependency), and the losses share the caller's engine.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';

/** The `@tensorflow/tfjs-core` namespace (`import * as tf from '@tensorflow/tfjs-core'`). */
export type TfNamespace = typeof tfc;

/**
 * Labels of a loss: an integer class map `[n, z, y, x]` or `[n, z, y, x, 1]` (any dtype holding
 * integers 0 … c−1), or a one-hot / soft-label tensor `[n, z, y, x, c]` (c ≥ 2) with the logits' shape.
 */
export type LossLabels = tfc.Tensor;

/** Options of the soft Dice loss. */
export interface SoftDiceOptions {
  /**
   * Added to numerator and denominator of every class's Dice (default 1e-5, MONAI's and nnU-Net's
   * order of magnitude). With 0, denominators are clamped at 1e-8, so a class absent from both labels
   * and prediction contributes Dice 0 instead of NaN.
   */
  smooth?: number;
  /** Sum intersections and volumes over the whole batch (nnU-Net's "batch Dice") instead of per sample (default false). */
  batch?: boolean;
  /** Include class 0 in the mean over classes (default true). */
  includeBackground?: boolean;
}

/** Options of the cross-entropy loss. */
export interface CrossEntropyOptions {
  /**
   * Per-class weights w (length c). The loss is Σᵥ Σ_c w_c y_vc (−log p_vc) / Σᵥ Σ_c w_c y_vc —
   * for hard labels exactly PyTorch's `cross_entropy(weight=w, reduction='mean')`.
   */
  classWeights?: readonly number[];
}

/** Options of the Dice + cross-entropy loss. */
export interface DiceCeOptions extends SoftDiceOptions, CrossEntropyOptions {
  /** Weight of the Dice term (default 1). */
  diceWeight?: number;
  /** Weight of the cross-entropy term (default 1). */
  ceWeight?: number;
}

/** Options of the focal loss. */
export interface FocalOptions {
  /** Focusing exponent γ ≥ 0 (default 2; 0 gives cross-entropy). */
  gamma?: number;
  /** Per-class weights α (length c); default all 1. */
  alpha?: readonly number[];
}

/**
 * The training losses by name, as configs name them: `dice-ce` ({@link Losses.diceCe}), `dice`
 * ({@link Losses.softDice}), `ce` ({@link Losses.crossEntropy}) and `focal` ({@link Losses.focal}).
 *
 * @example
 * LOSS_KINDS; // ['dice-ce', 'dice', 'ce', 'focal']
 */
export const LOSS_KINDS = ['dice-ce', 'dice', 'ce', 'focal'] as const;

/** One of {@link LOSS_KINDS}. */
export type LossKind = (typeof LOSS_KINDS)[number];

/** The losses bound to one `tf` namespace; see {@link createLosses}. */
export interface Losses {
  /** 1 − mean over classes (and samples unless `batch`) of (2Σpy + s)/(Σp + Σy + s), p = softmax(logits). */
  softDice(logits: tfc.Tensor, labels: LossLabels, options?: SoftDiceOptions): tfc.Scalar;
  /** Mean (optionally class-weighted) cross-entropy from log-softmax. */
  crossEntropy(logits: tfc.Tensor, labels: LossLabels, options?: CrossEntropyOptions): tfc.Scalar;
  /** diceWeight · softDice + ceWeight · crossEntropy (nnU-Net's default loss with 1 and 1). */
  diceCe(logits: tfc.Tensor, labels: LossLabels, options?: DiceCeOptions): tfc.Scalar;
  /** Mean over voxels of −Σ_c α_c y_c (1 − p_c)^γ log p_c (Lin et al. 2017, multi-class). */
  focal(logits: tfc.Tensor, labels: LossLabels, options?: FocalOptions): tfc.Scalar;
}

/**
 * Binds the segmentation losses to a TensorFlow.js namespace. Every loss takes NDHWC logits
 * `[n, z, y, x, c]` (c ≥ 2, unnormalised scores; softmax over the last axis) and labels as an integer
 * class map or one-hot (see {@link LossLabels}), returns a scalar, is differentiable with respect to
 * the logits, and runs inside `tf.tidy` (no tensor but the result survives). Probabilities come from
 * `tf.logSoftmax`, so the losses stay finite for extreme logits and for classes absent from a batch.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs-core';
 * const losses = createLosses(tf);
 * const logits = tf.randomNormal([1, 3, 4, 5, 2]);
 * const labels = tf.tensor4d([...Array(60).keys()].map((i) => i % 2), [1, 3, 4, 5], 'int32');
 * const loss = losses.diceCe(logits, labels); // tf.Scalar
 * const grad = tf.grad((x: tf.Tensor) => losses.diceCe(x, labels))(logits);
 */
export function createLosses(tf: TfNamespace): Losses {
  if (!tf || typeof tf.tidy !== 'function' || typeof tf.logSoftmax !== 'function') {
    throw new InvalidArgumentError(
      "createLosses: expected the @tensorflow/tfjs-core namespace (import * as tf from '@tensorflow/tfjs-core'), got something else",
    );
  }

  function prepare(where: string, logits: tfc.Tensor, labels: LossLabels): { logp: tfc.Tensor; y: tfc.Tensor; c: number } {
    if (logits.rank !== 5) {
      throw new ShapeMismatchError(`${where}: logits must be NDHWC [n, z, y, x, c], got shape [${logits.shape.join(', ')}]`);
    }
    const c = logits.shape[4]!;
    if (c < 2) {
      throw new ShapeMismatchError(
        `${where}: logits need c ≥ 2 classes (softmax over the last axis), got shape [${logits.shape.join(', ')}]; use two channels for a binary task`,
      );
    }
    const spatial = logits.shape.slice(0, 4) as [number, number, number, number];
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    let y: tfc.Tensor;
    if (labels.rank === 5 && labels.shape[4] === c && same(labels.shape.slice(0, 4), spatial)) {
      y = labels.dtype === 'float32' ? labels : tf.cast(labels, 'float32');
    } else if (
      (labels.rank === 4 && same(labels.shape, spatial)) ||
      (labels.rank === 5 && labels.shape[4] === 1 && same(labels.shape.slice(0, 4), spatial))
    ) {
      const idx = tf.cast(labels.rank === 5 ? tf.reshape(labels, spatial) : labels, 'int32') as tfc.Tensor4D;
      y = tf.oneHot(idx, c, 1, 0, 'float32');
    } else {
      throw new ShapeMismatchError(
        `${where}: labels shape [${labels.shape.join(', ')}] does not fit logits [${logits.shape.join(', ')}]; expected a class map ` +
          `[${spatial.join(', ')}] or [${spatial.join(', ')}, 1], or one-hot [${logits.shape.join(', ')}]`,
      );
    }
    return { logp: tf.logSoftmax(logits), y, c };
  }

  function checkWeights(where: string, name: string, w: readonly number[] | undefined, c: number): void {
    if (w === undefined) return;
    if (w.length !== c || w.some((v) => !(v >= 0) || !Number.isFinite(v))) {
      throw new InvalidArgumentError(`${where}: ${name} must be ${c} finite numbers ≥ 0 (one per class), got [${w.join(', ')}]`);
    }
  }

  function diceTerm(logp: tfc.Tensor, y: tfc.Tensor, o: SoftDiceOptions, where: string): tfc.Scalar {
    const smooth = o.smooth ?? 1e-5;
    if (!(smooth >= 0) || !Number.isFinite(smooth)) {
      throw new InvalidArgumentError(`${where}: smooth must be a finite number ≥ 0, got ${smooth}`);
    }
    let p = tf.exp(logp);
    let t = y;
    if (o.includeBackground === false) {
      const c = logp.shape[4]!;
      p = tf.slice(p, [0, 0, 0, 0, 1], [-1, -1, -1, -1, c - 1]);
      t = tf.slice(t, [0, 0, 0, 0, 1], [-1, -1, -1, -1, c - 1]);
    }
    const axes = o.batch ? [0, 1, 2, 3] : [1, 2, 3];
    const inter = tf.sum(tf.mul(p, t), axes);
    const den = tf.add(tf.add(tf.sum(p, axes), tf.sum(t, axes)), smooth);
    const dice = tf.div(tf.add(tf.mul(inter, 2), smooth), smooth > 0 ? den : tf.maximum(den, 1e-8));
    return tf.sub(1, tf.mean(dice)) as tfc.Scalar;
  }

  function ceTerm(logp: tfc.Tensor, y: tfc.Tensor, o: CrossEntropyOptions, c: number, where: string): tfc.Scalar {
    checkWeights(where, 'classWeights', o.classWeights, c);
    if (!o.classWeights) return tf.neg(tf.mean(tf.sum(tf.mul(y, logp), -1))) as tfc.Scalar;
    const w = tf.tensor1d(o.classWeights as number[], 'float32');
    const wy = tf.mul(y, w);
    const norm = tf.sum(wy);
    return tf.div(tf.neg(tf.sum(tf.mul(wy, logp))), tf.maximum(norm, 1e-12)) as tfc.Scalar;
  }

  return {
    softDice(logits, labels, options = {}) {
      return tf.tidy('softDiceLoss', () => {
        const { logp, y } = prepare('softDice', logits, labels);
        return diceTerm(logp, y, options, 'softDice');
      });
    },
    crossEntropy(logits, labels, options = {}) {
      return tf.tidy('crossEntropyLoss', () => {
        const { logp, y, c } = prepare('crossEntropy', logits, labels);
        return ceTerm(logp, y, options, c, 'crossEntropy');
      });
    },
    diceCe(logits, labels, options = {}) {
      return tf.tidy('diceCeLoss', () => {
        const { logp, y, c } = prepare('diceCe', logits, labels);
        const dw = options.diceWeight ?? 1;
        const cw = options.ceWeight ?? 1;
        if (!Number.isFinite(dw) || !Number.isFinite(cw)) {
          throw new InvalidArgumentError(`diceCe: diceWeight and ceWeight must be finite, got ${dw} and ${cw}`);
        }
        return tf.add(
          tf.mul(diceTerm(logp, y, options, 'diceCe'), dw),
          tf.mul(ceTerm(logp, y, options, c, 'diceCe'), cw),
        ) as tfc.Scalar;
      });
    },
    focal(logits, labels, options = {}) {
      return tf.tidy('focalLoss', () => {
        const { logp, y, c } = prepare('focal', logits, labels);
        const gamma = options.gamma ?? 2;
        if (!(gamma >= 0) || !Number.isFinite(gamma)) {
          throw new InvalidArgumentError(`focal: gamma must be a finite number ≥ 0, got ${gamma}`);
        }
        checkWeights('focal', 'alpha', options.alpha, c);
        // (1 − p)^γ with 1 − p = −expm1(log p): accurate when p → 1.
        const oneMinusP = tf.relu(tf.neg(tf.expm1(logp)));
        const mod = gamma === 0 ? tf.onesLike(logp) : gamma === 1 ? oneMinusP : tf.pow(oneMinusP, gamma);
        let term = tf.mul(tf.mul(y, mod), logp);
        if (options.alpha) term = tf.mul(term, tf.tensor1d(options.alpha as number[], 'float32'));
        return tf.neg(tf.mean(tf.sum(term, -1))) as tfc.Scalar;
      });
    },
  };
}
