import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariable, Network } from '@voxnas/ops';
import { InvalidArgumentError, type Rng } from '@voxnas/core';
import type { EdgeDecision } from './cell.js';
import { CellNetwork, type CellRecompute } from './cell-network.js';
import { deriveGenotype, type DeriveGenotypeOptions } from './derive-genotype.js';
import type { Genotype } from './genotype.js';
import { createSampler, fullSampler, type Sampler, type SamplerConfig } from './sampler.js';
import { ZERO_OPERATOR, type SearchSpace } from './search-space.js';
import { checkOperatorsKnown } from './cell.js';

/**
 * How α is laid out (see {@link SupernetOptions.alphaSharing}): `edge`, one vector per edge label (the
 * paper, DARTS); `cell`, the same plus one operator vector per cell type added to every edge of the type.
 *
 * @example
 * ALPHA_SHARING.includes('cell'); // true
 */
export const ALPHA_SHARING = ['edge', 'cell'] as const;

/** One of {@link ALPHA_SHARING}. */
export type AlphaSharing = (typeof ALPHA_SHARING)[number];

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
  /**
   * `edge` (default): every edge label has its own α. `cell`: besides, every cell type has one vector β
   * over the non-`zero` candidates of its edges, and an edge's logits are `α_edge + β_type` (`zero` has
   * no β term). β gets the sum of the gradients of every edge of the type, so a preference the edges
   * share builds up in β faster than in each edge's α, while the edges still differ (and are still
   * kept or dropped) by their own α. `alphaValues()` returns the summed logits, so deriving, logging
   * and the health check see what the sampler draws from. β is the variable `arch/<cell type>`.
   */
  readonly alphaSharing?: AlphaSharing;
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
  /**
   * `alphaSharing: 'cell'`: β per cell type, and per edge label the β index of each candidate (−1: none)
   * with its one-hot matrix `[K, |β|]` (β's gradient is the edge's logit gradient times it).
   */
  private readonly cellAlphas = new Map<string, tf.Variable>();
  private readonly cellIndex = new Map<string, { cell: string; index: Int32Array; oneHot: Float32Array }>();
  /** How α is laid out. */
  readonly alphaSharing: AlphaSharing;
  private tauValue: number;
  private lastActiveValue: Record<string, readonly number[]> = {};

  constructor(space: SearchSpace, options: SupernetOptions) {
    checkOperatorsKnown(new Set(space.edges.flatMap((e) => e.candidates)));
    const sharing = options.alphaSharing ?? 'edge';
    if (!ALPHA_SHARING.includes(sharing)) {
      throw new InvalidArgumentError(`Supernet: alphaSharing is ${JSON.stringify(sharing)}, expected 'edge' or 'cell'`);
    }
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
    this.alphaSharing = sharing;
    if (sharing === 'cell') {
      // β over the union of the type's non-zero candidates, in order of first appearance; zeros at start
      const names = new Map<string, string[]>();
      for (const edge of space.edges) {
        const list = names.get(edge.cell) ?? [];
        for (const c of edge.candidates) if (c !== ZERO_OPERATOR && !list.includes(c)) list.push(c);
        names.set(edge.cell, list);
      }
      for (const [cell, list] of names) {
        if (list.length === 0) continue;
        const initial = tf.zeros([list.length]);
        this.cellAlphas.set(cell, tf.variable(initial, true));
        initial.dispose();
      }
      for (const edge of space.edges) {
        const list = names.get(edge.cell)!;
        if (!this.cellAlphas.has(edge.cell)) continue;
        const index = Int32Array.from(edge.candidates, (c) => (c === ZERO_OPERATOR ? -1 : list.indexOf(c)));
        const oneHot = new Float32Array(index.length * list.length);
        index.forEach((j, i) => {
          if (j >= 0) oneHot[i * list.length + j] = 1;
        });
        this.cellIndex.set(edge.label, { cell: edge.cell, index, oneHot });
      }
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
      const d = sampler(this.logitsOf(label, alpha), this.samplerRng, this.tauValue);
      decisions.set(label, d);
      active[label] = d.active;
    }
    this.lastActiveValue = active;
    return this.runCells(x, 'Supernet.apply', decisions);
  }

  /**
   * The logits the sampler draws an edge's path from: its α, plus its cell type's β under
   * `alphaSharing: 'cell'`. The summed values are computed on the host from the variables (which the
   * search trainer reads asynchronously first), so samplers can read them synchronously on any backend;
   * the gradient flows to α and, summed per candidate, to β.
   */
  private logitsOf(label: string, alpha: tf.Variable): tf.Tensor1D {
    const shared = this.cellIndex.get(label);
    if (shared === undefined) return alpha as tf.Tensor as tf.Tensor1D;
    const beta = this.cellAlphas.get(shared.cell)!;
    const value = this.summedLogits(alpha, shared);
    const k = shared.index.length;
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      (args[2] as tf.GradSaveFunc)([]);
      return {
        value: tf.tensor1d(value),
        // dβ_j = Σ_{i: index[i] = j} dy_i = dy · oneHot
        gradFunc: (dy: tf.Tensor) => [dy, tf.reshape(tf.matMul(tf.reshape(dy, [1, k]), tf.tensor2d(shared.oneHot, [k, beta.size])), [beta.size])],
      };
    });
    return f(alpha, beta) as tf.Tensor1D;
  }

  /** An edge's α plus its cell type's β on the host (`zero` has no β term). */
  private summedLogits(alpha: tf.Variable, shared: { cell: string; index: Int32Array }): Float32Array {
    const a = alpha.dataSync();
    const b = this.cellAlphas.get(shared.cell)!.dataSync();
    return Float32Array.from(a, (x, i) => (shared.index[i]! < 0 ? x : x + b[shared.index[i]!]!));
  }

  /** The α variables, in `space.edges` order (one per label), then the cell types' β under `alphaSharing: 'cell'`. */
  archVariables(): tf.Variable[] {
    return [...this.alphas.values(), ...this.cellAlphas.values()];
  }

  /** The operator weights (stem, cells, head): what the weight optimiser updates. */
  weightVariables(): tf.Variable[] {
    return super.namedVariables().filter((v) => v.trainable).map((v) => v.variable);
  }

  /** Same as {@link weightVariables} (the `Network` contract: variables of the weight optimiser). */
  override trainableVariables(): tf.Variable[] {
    return this.weightVariables();
  }

  /** Every variable with its path: weights first, then α as `arch/<label>`, then β as `arch/<cell type>`. */
  override namedVariables(prefix = ''): NamedVariable[] {
    const arch = [...this.alphas].map(([label, variable]) => ({ path: prefix + alphaPath(label), variable, trainable: true }));
    const cells = [...this.cellAlphas].map(([cell, variable]) => ({ path: `${prefix}arch/${cell}`, variable, trainable: true }));
    return [...super.namedVariables(prefix), ...arch, ...cells];
  }

  /**
   * Current logits per label (plain numbers, candidate order): α, plus the cell type's β under
   * `alphaSharing: 'cell'` — what the sampler draws from and what `deriveGenotype` takes.
   */
  alphaValues(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [label, a] of this.alphas) {
      const shared = this.cellIndex.get(label);
      out[label] = Array.from(shared === undefined ? a.dataSync() : this.summedLogits(a, shared));
    }
    return out;
  }

  /** `deriveGenotype(this.space, this.alphaValues(), options)`. */
  deriveGenotype(options?: DeriveGenotypeOptions): Genotype {
    return deriveGenotype(this.space, this.alphaValues(), options);
  }

  override dispose(): void {
    super.dispose();
    for (const a of [...this.alphas.values(), ...this.cellAlphas.values()]) a.dispose();
    this.alphas.clear();
    this.cellAlphas.clear();
  }
}

function checkTau(tau: number): number {
  if (!(tau > 0) || !Number.isFinite(tau)) throw new InvalidArgumentError(`Supernet: tau must be a finite number > 0, got ${tau}`);
  return tau;
}
