import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients. `#tfjs-gradients` (package.json "imports") maps to
// `@voxnas/ops/gradients` (tfjs-core's register_all_gradients bundled for plain Node, without the
// @tensorflow/tfjs umbrella; see ops' src/internal/gradients.ts) and, in browsers, to tfjs-core's file.
import '#tfjs-gradients';
import { variableGrads } from '@voxnas/ops';
import { NonFiniteLossError, TrainConfigError } from './errors.js';
import type { Optimizer } from './optimizer.js';

/** Options of {@link gradientStep}. */
export interface GradientStepOptions {
  /** Builds the scalar loss from the optimiser's variables (runs under the gradient tape). */
  readonly loss: () => tf.Scalar;
  readonly optimizer: Optimizer;
  /** Learning rate of this update. */
  readonly lr: number;
  /** Clip the global gradient L2 norm to this value (PyTorch `clip_grad_norm_`). Default: no clipping. */
  readonly clipGradNorm?: number;
}

/** What one {@link gradientStep} measured. */
export interface GradientStepResult {
  /** The loss before the update. */
  readonly loss: number;
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
}

/**
 * One optimiser update: differentiates `loss` with respect to the optimiser's variables, checks that
 * loss and gradients are finite (else throws {@link NonFiniteLossError} and changes nothing),
 * optionally clips the global gradient norm, and applies the update. Variables the loss does not
 * reach get no gradient and are skipped by the optimiser. Leaves no tensors behind.
 * `Trainer.step` is built on it; a search trainer uses it for its architecture steps too.
 *
 * @example
 * const { loss } = await gradientStep({
 *   loss: () => tf.losses.meanSquaredError(y, net.apply(x)) as tf.Scalar,
 *   optimizer: opt, lr: 1e-3, clipGradNorm: 12,
 * });
 */
export async function gradientStep(options: GradientStepOptions): Promise<GradientStepResult> {
  const { optimizer, lr, clipGradNorm } = options;
  if (clipGradNorm !== undefined && !(clipGradNorm > 0)) {
    throw new TrainConfigError(`gradientStep: clipGradNorm is ${clipGradNorm}, expected a number > 0`);
  }
  const vars = optimizer.variables();
  // The backward pass releases each operation's saved tensors and output gradients once it has run it
  // (@voxnas/ops variableGrads): the same gradients as tf.variableGrads at a lower peak.
  const { value, grads } = variableGrads(options.loss, vars);
  const list: Array<tf.Tensor | null> = vars.map((v) => grads[v.name] ?? null);
  try {
    const present = list.filter((g): g is tf.Tensor => g !== null);
    const normT = tf.tidy(() =>
      present.length === 0 ? tf.scalar(0) : tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g))))),
    );
    const [lossData, normData] = await Promise.all([value.data(), normT.data()]);
    const lossValue = lossData[0]!;
    const gradNorm = normData[0]!;
    normT.dispose();
    if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
      throw new NonFiniteLossError(`gradientStep: loss is ${lossValue}, gradient norm is ${gradNorm}; expected finite values (try a lower learning rate or clipGradNorm)`);
    }
    if (clipGradNorm !== undefined) {
      const coef = clipGradNorm / (gradNorm + 1e-6);
      if (coef < 1) {
        const clipped = list.map((g) => (g === null ? null : tf.mul(g, coef)));
        try {
          optimizer.applyGradients(clipped, lr);
        } finally {
          tf.dispose(clipped.filter((g): g is tf.Tensor => g !== null));
        }
        return { loss: lossValue, gradNorm };
      }
    }
    optimizer.applyGradients(list, lr);
    return { loss: lossValue, gradNorm };
  } finally {
    value.dispose();
    tf.dispose(grads);
  }
}
