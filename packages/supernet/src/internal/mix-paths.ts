import * as tf from '@tensorflow/tfjs-core';

/** One term of a node's weighted sum: `weights[index] · path`, where `weights[index]` is known to be `value`. */
export interface MixTerm {
  readonly path: tf.Tensor5D;
  /** The edge's path weights (shape `[K]`), differentiable where the sampler gives them a gradient. */
  readonly weights: tf.Tensor1D;
  readonly index: number;
  /** The forward value of `weights[index]`, known on the host. */
  readonly value: number;
}

/**
 * `Σ_t weights_t[index_t] · path_t` for a node of a sampled supernet whose path weights have a forward
 * value known on the host (hard Gumbel, uniform, argmax), as one differentiable op. Same value and
 * gradients as multiplying each path by a slice of its weights and adding, with less work where it
 * matters: a path whose weight is 1 is neither multiplied in the forward pass nor in the backward pass
 * (its gradient is `dy` itself), and paths of equal weight (k > 1) are summed before one scaling. The
 * weight's gradient `Σ dy · path` stays a product and a sum: as a 1×N · N×1 matrix product it was
 * slower on the cpu backend (docs/method.md has the measurements).
 */
export function mixPaths(terms: readonly MixTerm[]): tf.Tensor5D {
  const weightTensors = [...new Set(terms.map((t) => t.weights))];
  const values = terms.map((t) => t.value);
  const mix = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const paths = args.slice(0, terms.length) as tf.Tensor5D[];
    save(paths);
    return {
      value: weightedSum(paths, values),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const scaled = new Map<number, tf.Tensor>();
        const dPaths = values.map((v) => {
          if (v === 1) return tf.clone(dy);
          if (!scaled.has(v)) scaled.set(v, tf.mul(dy, v));
          return tf.clone(scaled.get(v)!);
        });
        tf.dispose([...scaled.values()]);
        const dots = saved.map((p) => tf.sum(tf.mul(dy, p)));
        const zero = tf.scalar(0);
        const dWeights = weightTensors.map((w) =>
          tf.stack(Array.from({ length: w.size }, (_, j) => dots[terms.findIndex((t) => t.weights === w && t.index === j)] ?? zero)),
        );
        return [...dPaths, ...dWeights];
      },
    };
  });
  return mix(...terms.map((t) => t.path), ...weightTensors) as tf.Tensor5D;
}

/** `Σ values[t] · paths[t]`: one sum per distinct value, scaled once when the value is not 1. */
function weightedSum(paths: readonly tf.Tensor5D[], values: readonly number[]): tf.Tensor5D {
  const groups = new Map<number, tf.Tensor5D[]>();
  paths.forEach((p, t) => groups.set(values[t]!, [...(groups.get(values[t]!) ?? []), p]));
  const parts = [...groups].map(([v, ps]) => {
    const sum = ps.length === 1 ? tf.clone(ps[0]!) : tf.addN(ps);
    if (v === 1) return sum;
    const out = tf.mul(sum, v);
    sum.dispose();
    return out;
  });
  if (parts.length === 1) return parts[0] as tf.Tensor5D;
  const out = tf.addN(parts);
  tf.dispose(parts);
  return out as tf.Tensor5D;
}
