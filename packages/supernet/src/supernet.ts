import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariable, Network } from '@voxnas/ops';
import { InvalidArgumentError, type Rng } from '@voxnas/core';
import type { EdgeDecision } from './cell.js';
import { CellNetwork, type CellRecompute } from './cell-network.js';
import { deriveGenotype, type DeriveGenotypeOptions } from './derive-genotype.js';
import type { Genotype } from './genotype.js';
import { createSampler, fullSampler, type Sampler, type SamplerConfig } from './sampler.js';
import type { SearchSpace } from './search-space.js';
import { checkOperatorsKnown } from './cell.js';

/** Options of {@link Supernet}. */
export interface SupernetOptions {
  /** Root stream: weights from `rng.fork('init')`, α from `rng.fork('alpha')`, paths from `rng.fork('sampler')`. */
  readonly rng: Rng;
  /** Path sampler (plain config or function). Default `{ kind: 'gumbel', k: 1 }`. */
  readonly sampler?: SamplerConfig | Sampler;
  /**
   * Path sampler of the `weights` phase (see {@link Supernet.setPhase}); default: `sampler`. With
   * `{ kind: 'uniform' }` every candidate's weights are trained equally often whatever α says (as in
   * SPOS and FairNAS), so an operator that α favoured early is not also the only one whose weights
   * learn; α still learns through `sampler` in the `arch` phase.
   */
  readonly weightSampler?: SamplerConfig | Sampler;
  /** Initial temperature τ (change it with `setTemperature`). Default 1. */
  readonly tau?: number;
  /** Standard deviation of the initial α (DARTS: 1e-3). Default 1e-3. */
  readonly alphaInitStd?: number;
  /** Activation recomputation per cell in training (see `CellRecompute`; `setRecompute` changes it). Default `'none'`. */
  readonly recompute?: CellRecompute;
}

/**
 * Which optimiser the next training-mode forward pass serves: `weights` (default) draws paths from the
 * supernet's `weightSampler`, `arch` from its `sampler`.
 */
export type SupernetPhase = 'weights' | 'arch';

/** Deterministic top-1 path (argmax α), weight 1: what the supernet runs in eval mode with a stochastic sampler. */
const argmaxSampler: Sampler = (logits) => {
  const a = logits.dataSync();
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  const w = new Float32Array(a.length);
  w[best] = 1;
  return { weights: tf.tensor1d(w), active: [best], values: w };
};

/** `"reduction.in0->n1"` → `"reduction.in0-n1"` (a variable path segment). */
function alphaPath(label: string): string {
  return `arch/${label.replace('->', '-')}`;
}

/**
 * The searchable supernet: the macro U-Net of {@link macroLayout} where every edge of every cell holds
 * all of its candidates, and one architecture vector α (a trainable `tf.Variable` of length K) per edge
 * label, shared by every cell of that type at every level.
 *
 * Each `forward` draws one decision per label from the sampler (so all cells of a type run the same
 * sampled architecture) and each edge computes only its active paths: `Σ_{i ∈ active} w_i · op_i(x)`.
 * With `gumbel` only sampled operators run and get weight gradients, and α gets its gradient through
 * them (straight-through); with `full` every candidate runs (DARTS). In eval mode a stochastic sampler is
 * replaced by the argmax path.
 *
 * `trainableVariables()` / `weightVariables()` are the operator weights only; `archVariables()` are the α,
 * so each optimiser sees only its own list. `namedVariables()` (and so save/load) includes both, α under
 * `arch/<label>`.
 *
 * @example
 * const space = createSearchSpace({ levels: 3, baseChannels: 8 });
 * const net = new Supernet(space, { rng: new Rng(1), sampler: { kind: 'gumbel', k: 1 } });
 * const { grads } = tf.variableGrads(() => loss(net.apply(x), y), net.archVariables());
 */
export class Supernet extends CellNetwork implements Network {
  readonly space: SearchSpace;
  /** The stream paths are drawn from; save `samplerRng.getState()` to resume a search exactly. */
  readonly samplerRng: Rng;
  private readonly sampler: Sampler;
  private readonly weightSampler: Sampler;
  private readonly evalSampler: Sampler;
  private phaseValue: SupernetPhase = 'weights';
  private readonly alphas = new Map<string, tf.Variable>();
  private tauValue: number;
  private lastActiveValue: Record<string, readonly number[]> = {};

  constructor(space: SearchSpace, options: SupernetOptions) {
    checkOperatorsKnown(new Set(space.edges.flatMap((e) => e.candidates)));
    super(
      space.macro,
      space.edges,
      (edge) => edge.candidates.map((_, i) => i),
      options.rng.fork('init'),
    );
    this.space = space;
    this.samplerRng = options.rng.fork('sampler');
    const cfg = options.sampler ?? { kind: 'gumbel', k: 1 };
    this.sampler = typeof cfg === 'function' ? cfg : createSampler(cfg);
    const weightCfg = options.weightSampler;
    this.weightSampler = weightCfg === undefined ? this.sampler : typeof weightCfg === 'function' ? weightCfg : createSampler(weightCfg);
    this.evalSampler = this.sampler === fullSampler ? fullSampler : argmaxSampler;
    this.tauValue = checkTau(options.tau ?? 1);
    if (options.recompute !== undefined) this.setRecompute(options.recompute);
    const std = options.alphaInitStd ?? 1e-3;
    const alphaRng = options.rng.fork('alpha');
    for (const edge of space.edges) {
      const init = Float32Array.from(edge.candidates, () => std * alphaRng.normal());
      const initial = tf.tensor1d(init);
      this.alphas.set(edge.label, tf.variable(initial, true));
      initial.dispose();
    }
  }

  /** Current temperature τ. */
  get tau(): number {
    return this.tauValue;
  }

  /** Sets τ (e.g. `temperatureAt(schedule, step)` before each step). */
  setTemperature(tau: number): this {
    this.tauValue = checkTau(tau);
    return this;
  }

  /** The phase of training-mode forward passes: which sampler draws the paths. */
  get phase(): SupernetPhase {
    return this.phaseValue;
  }

  /**
   * Sets the phase: `arch` before an α step, `weights` (the default) before a weight step. It matters only
   * when the supernet was built with a `weightSampler`; the search trainer sets it around its α step.
   *
   * @throws InvalidArgumentError for any other value.
   */
  setPhase(phase: SupernetPhase): this {
    if (phase !== 'weights' && phase !== 'arch') {
      throw new InvalidArgumentError(`Supernet.setPhase: phase is ${JSON.stringify(phase)}, expected 'weights' or 'arch'`);
    }
    this.phaseValue = phase;
    return this;
  }

  /** The active candidate indices of every label in the last forward pass. */
  get lastActive(): Readonly<Record<string, readonly number[]>> {
    return this.lastActiveValue;
  }

  forward(x: tf.Tensor5D): tf.Tensor5D {
    const sampler = !this.training ? this.evalSampler : this.phaseValue === 'arch' ? this.sampler : this.weightSampler;
    const decisions = new Map<string, EdgeDecision>();
    const active: Record<string, readonly number[]> = {};
    for (const [label, alpha] of this.alphas) {
      const d = sampler(alpha as tf.Tensor as tf.Tensor1D, this.samplerRng, this.tauValue);
      decisions.set(label, d);
      active[label] = d.active;
    }
    this.lastActiveValue = active;
    return this.runCells(x, 'Supernet.apply', decisions);
  }

  /** The α variables, in `space.edges` order (one per label). */
  archVariables(): tf.Variable[] {
    return [...this.alphas.values()];
  }

  /** The operator weights (stem, cells, head): what the weight optimiser updates. */
  weightVariables(): tf.Variable[] {
    return super.namedVariables().filter((v) => v.trainable).map((v) => v.variable);
  }

  /** Same as {@link weightVariables} (the `Network` contract: variables of the weight optimiser). */
  override trainableVariables(): tf.Variable[] {
    return this.weightVariables();
  }

  /** Every variable with its path: weights first, then α as `arch/<label>`. */
  override namedVariables(prefix = ''): NamedVariable[] {
    const arch = [...this.alphas].map(([label, variable]) => ({ path: prefix + alphaPath(label), variable, trainable: true }));
    return [...super.namedVariables(prefix), ...arch];
  }

  /** Current α values per label (plain numbers, candidate order). */
  alphaValues(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [label, a] of this.alphas) out[label] = Array.from(a.dataSync());
    return out;
  }

  /** `deriveGenotype(this.space, this.alphaValues(), options)`. */
  deriveGenotype(options?: DeriveGenotypeOptions): Genotype {
    return deriveGenotype(this.space, this.alphaValues(), options);
  }

  override dispose(): void {
    super.dispose();
    for (const a of this.alphas.values()) a.dispose();
    this.alphas.clear();
  }
}

function checkTau(tau: number): number {
  if (!(tau > 0) || !Number.isFinite(tau)) throw new InvalidArgumentError(`Supernet: tau must be a finite number > 0, got ${tau}`);
  return tau;
}
