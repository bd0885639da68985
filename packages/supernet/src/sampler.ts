import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type Rng } from '@voxnas/core';

/**
 * What a sampler returns for one edge: `weights` (shape `[K]`, differentiable with respect to the
 * logits where the sampler has a gradient) and the indices of the candidates to compute, ascending.
 * A mixed edge computes `Σ_{i ∈ active} weights[i] · op_i(x)` and nothing else.
 */
export interface SampleResult {
  readonly weights: tf.Tensor1D;
  readonly active: readonly number[];
  /**
   * The forward value of `weights`, when the sampler knows it on the host (hard samplers: `1/k` on the
   * active paths). A mixed edge then skips multiplying a path by a weight of 1, forward and backward;
   * without it (`full`), every path is multiplied by its weight on the device.
   */
  readonly values?: Float32Array;
}

/**
 * A path sampler: a pure function of the edge's logits α (shape `[K]`), a random stream and the
 * temperature τ. It creates `weights` in the caller's tidy scope and draws random numbers only from
 * `rng` (in JS), so a seed gives the same paths on every backend.
 */
export type Sampler = (logits: tf.Tensor1D, rng: Rng, tau: number) => SampleResult;

/**
 * The sampler kinds {@link createSampler} knows, the paper's Gumbel sampler first (configs offer these).
 *
 * @example
 * SAMPLER_KINDS.includes('gumbel'); // true
 */
export const SAMPLER_KINDS = ['gumbel', 'full', 'uniform'] as const;

/** One of {@link SAMPLER_KINDS}. */
export type SamplerKind = (typeof SAMPLER_KINDS)[number];

/** A sampler as plain data (for configs): see {@link createSampler}. */
export type SamplerConfig =
  | { readonly kind: 'full' }
  | { readonly kind: 'gumbel'; readonly k?: number }
  | { readonly kind: 'uniform' };

function checkLogits(logits: tf.Tensor, tau: number, where: string): void {
  if (logits.rank !== 1 || logits.size < 1) {
    throw new InvalidArgumentError(`${where}: logits must be a non-empty 1-D tensor, got shape [${logits.shape.join(', ')}]`);
  }
  if (!(tau > 0) || !Number.isFinite(tau)) {
    throw new InvalidArgumentError(`${where}: tau must be a finite number > 0, got ${tau}`);
  }
}

/**
 * The DARTS baseline: every candidate runs, mixed by `softmax(α / τ)` (τ = 1 is DARTS). Memory and
 * compute grow with the number of candidates. Draws nothing from `rng`.
 *
 * @example
 * const { weights, active } = fullSampler(tf.tensor1d([0, 1, 2]), rng, 1); // active = [0, 1, 2]
 */
export const fullSampler: Sampler = (logits, _rng, tau) => {
  checkLogits(logits, tau, 'fullSampler');
  const weights = tf.softmax(tf.div(logits, tau)) as tf.Tensor1D;
  return { weights, active: Array.from({ length: logits.size }, (_, i) => i) };
};

/**
 * Hard Gumbel-softmax with a straight-through gradient and `k` paths per edge (GDAS for k = 1,
 * ProxylessNAS-like for k = 2). Gumbel noise `g_i = −log(−log u_i)` is drawn from `rng` in JS; the `k`
 * largest `α_i + g_i` are the active paths (the Gumbel-top-k trick: sampling k distinct candidates
 * without replacement, proportionally to softmax(α) for the first). The forward weights are `1/k` on the
 * active paths and 0 elsewhere; the backward pass uses the gradient of `y = softmax((α + g) / τ)`, so α
 * learns through the active paths only.
 *
 * @throws InvalidArgumentError when `k` is not an integer in [1, K].
 * @example
 * const sample = gumbelSampler({ k: 2 });
 * const { weights, active } = sample(alpha, rng.fork('sampler'), 1.0); // 2 active paths
 */
export function gumbelSampler(options: { k?: number } = {}): Sampler {
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidArgumentError(`gumbelSampler: k must be a positive integer, got ${k}`);
  }
  return (logits, rng, tau) => {
    checkLogits(logits, tau, 'gumbelSampler');
    const n = logits.size;
    if (k > n) throw new InvalidArgumentError(`gumbelSampler: k = ${k} paths but the edge has only ${n} candidates`);
    const alpha = logits.dataSync();
    const noise = new Float32Array(n);
    const perturbed: number[] = [];
    for (let i = 0; i < n; i++) {
      let u = rng.float();
      while (u === 0) u = rng.float();
      noise[i] = -Math.log(-Math.log(u));
      perturbed.push(alpha[i]! + noise[i]!);
    }
    const order = perturbed.map((_, i) => i).sort((a, b) => perturbed[b]! - perturbed[a]! || a - b);
    const active = order.slice(0, k).sort((a, b) => a - b);
    const hard = new Float32Array(n);
    for (const i of active) hard[i] = 1 / k;
    const weights = tf.tidy(() => {
      const soft = tf.softmax(tf.div(tf.add(logits, tf.tensor1d(noise)), tau)) as tf.Tensor1D;
      return straightThrough(soft, hard);
    });
    return { weights, active, values: hard };
  };
}

/** Forward value `hard`, backward identity to `soft` (straight-through estimator). */
function straightThrough(soft: tf.Tensor1D, hard: Float32Array): tf.Tensor1D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    (args[1] as tf.GradSaveFunc)([]);
    return { value: tf.tensor1d(hard), gradFunc: (dy: tf.Tensor) => [dy] };
  });
  return f(soft) as tf.Tensor1D;
}

/**
 * Hard Gumbel-softmax with one path per edge: `gumbelSampler({ k: 1 })` (GDAS).
 *
 * @example
 * const { active } = gumbelOneSampler(alpha, rng, 0.5); // one index
 */
export const gumbelOneSampler: Sampler = gumbelSampler({ k: 1 });

/**
 * One path drawn uniformly (independently of α), weight 1, no gradient to α: the single-path one-shot
 * baseline (uniform sampling of SPOS / random search with weight sharing).
 *
 * @example
 * const { weights, active } = uniformSampler(alpha, rng, 1); // active = [j], weights one-hot at j
 */
export const uniformSampler: Sampler = (logits, rng, tau) => {
  checkLogits(logits, tau, 'uniformSampler');
  const j = rng.int(0, logits.size);
  const hard = new Float32Array(logits.size);
  hard[j] = 1;
  return { weights: tf.tensor1d(hard), active: [j], values: hard };
};

/**
 * The sampler described by a config: `{ kind: 'full' }`, `{ kind: 'gumbel', k }` (default k = 1) or
 * `{ kind: 'uniform' }`.
 *
 * @example
 * const sampler = createSampler({ kind: 'gumbel', k: 1 });
 */
export function createSampler(config: SamplerConfig): Sampler {
  switch (config.kind) {
    case 'full':
      return fullSampler;
    case 'gumbel':
      return gumbelSampler({ k: config.k ?? 1 });
    case 'uniform':
      return uniformSampler;
    default:
      throw new InvalidArgumentError(
        `createSampler: kind is ${JSON.stringify((config as { kind: unknown }).kind)}, expected 'full', 'gumbel' or 'uniform'`,
      );
  }
}
