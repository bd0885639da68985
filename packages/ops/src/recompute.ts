import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { InvalidArgumentError } from '@voxnas/core';

/**
 * How a network trades compute for memory in training: `'none'` keeps every activation the backward
 * pass needs (the default); `'segment'` keeps only the inputs and outputs of each recomputation
 * segment (a supernet cell, a U-Net level block) and recomputes the segment's inside during the
 * backward pass. Networks name their segments in their own option (`recompute: 'cell'`, `'level'`).
 */
export type RecomputeMode = 'none' | 'segment';

/** Options of {@link recompute}. */
export interface RecomputeOptions {
  /** The segment's tensor inputs, passed to `fn` in this order (gradients flow back to each). */
  readonly inputs: readonly tf.Tensor[];
  /**
   * Every variable `fn` reads and whose gradient is wanted (the trained weights of the modules it
   * runs). A variable `fn` reads but is not listed gets no gradient; a listed variable `fn` does not
   * read gets a zero gradient — so list exactly the variables of the modules that run.
   */
  readonly variables: readonly tf.Variable[];
}

let recomputeDepth = 0;

/**
 * True while {@link recompute} re-runs a segment for its gradient. Side effects of a forward pass (the
 * running statistics of BatchNorm) check it, so a recomputed segment does not apply them twice.
 */
export function isRecomputing(): boolean {
  return recomputeDepth > 0;
}

/**
 * Runs `fn(...inputs)` as one recomputation segment (activation checkpointing): under a gradient tape
 * only the segment's inputs are kept; the tensors `fn` creates are released as soon as it returns, and
 * the backward pass runs `fn` again on the kept inputs to get the gradients of the inputs and of
 * `variables` (which reach `tf.variableGrads` and the optimiser as usual). Outside a tape it is `fn`
 * inside a tidy. `fn` must be deterministic (no random draw) and return one tensor; its side effects
 * must check {@link isRecomputing}.
 *
 * The peak of a training step then holds the segment boundaries plus one segment's inside at a time,
 * for one extra forward pass of each segment.
 *
 * @throws InvalidArgumentError when `inputs` is empty or holds something that is not a tensor.
 * @example
 * const y = recompute((x) => block.forward(x as tf.Tensor5D), { inputs: [x], variables: block.trainableVariables() });
 */
export function recompute<T extends tf.Tensor>(fn: (...inputs: tf.Tensor[]) => T, options: RecomputeOptions): T {
  const inputs = options?.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((t) => !(t instanceof tf.Tensor))) {
    throw new InvalidArgumentError('recompute: options.inputs must be a non-empty array of tensors');
  }
  const variables = options.variables ?? [];
  const n = inputs.length;
  const segment = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, n) as tf.Tensor[];
    save(xs);
    return {
      value: fn(...xs),
      gradFunc: (dy: T, saved: tf.Tensor[]) => recomputeGradients(fn, dy, saved, variables),
    };
  });
  return segment(...inputs, ...variables) as T;
}

/**
 * The backward of one segment: `fn` again on the saved inputs under a tape of its own, differentiated
 * with `dy` with respect to the inputs and the variables. tfjs's `engine.gradients` starts a fresh
 * tape when no outer tape is recording (the case during a backward pass) and clears it afterwards, so
 * the enclosing backward pass's tape is put back once the segment's gradients are computed.
 */
function recomputeGradients(fn: (...inputs: tf.Tensor[]) => tf.Tensor, dy: tf.Tensor, saved: tf.Tensor[], variables: readonly tf.Variable[]): tf.Tensor[] {
  const engine = tf.engine();
  const outerTape = engine.state.activeTape;
  recomputeDepth++;
  try {
    const xs: tf.Tensor[] = [...saved, ...variables];
    const { value, grads } = engine.gradients(() => fn(...saved), xs, dy, true);
    value.dispose();
    return grads.map((g, i) => g ?? tf.zerosLike(xs[i]!));
  } finally {
    recomputeDepth--;
    engine.state.activeTape = outerTape;
  }
}
