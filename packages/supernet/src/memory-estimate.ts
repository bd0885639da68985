import { estimateStepMemory, operatorCost, type OptimizerStateKind, type RecomputeSegments, type Shape5, type StepKernels, type StepMemoryEstimate } from '@voxnas/ops';
import { InvalidArgumentError } from '@voxnas/core';
import { CELL_RECOMPUTE_MODES, checkNetworkInput, minimumInputSize, planCost, planNetwork, type CellRecompute, type NetworkPlan } from './cell-network.js';
import { GENOTYPE_SCHEMA, validateGenotype, type Genotype } from './genotype.js';
import { childOperators, genotypeEdges } from './internal/genotype-edges.js';
import type { SamplerConfig } from './sampler.js';
import { ZERO_OPERATOR, type MacroConfig, type SearchSpace } from './search-space.js';

/** Options of {@link estimateSearchStepMemory}. */
export interface SearchMemoryOptions {
  /** NDHWC input of one step `[batch, z, y, x, inputChannels]` (the patch and batch size). */
  readonly inputShape: Shape5;
  /** The search's path sampler. Default `{ kind: 'gumbel', k: 1 }`. */
  readonly sampler?: SamplerConfig;
  /** Optimiser of the weights (α's Adam state is counted too). Default `'adam'` (AdamW of the search). */
  readonly optimizer?: OptimizerStateKind;
  /** Kernels that run the step (`currentBackend()?.native`). Default `'js'` (the larger estimate). */
  readonly kernels?: StepKernels;
  /** Activation recomputation of the supernet (`SupernetOptions.recompute`). Default `'none'`. */
  readonly recompute?: CellRecompute;
}

/** A search step's estimate: the parts of {@link StepMemoryEstimate} and the paths it assumed. */
export interface SearchMemoryEstimate extends StepMemoryEstimate {
  /** `'full'`, `'gumbel k=2'`, `'uniform'`. */
  readonly sampler: string;
  /**
   * The candidate indices the estimate runs on every edge label: all of them for `full`; for a
   * sampling sampler the `k` most memory-hungry ones (1 for `uniform`) — the worst draw, so the
   * estimate bounds every step of the search.
   */
  readonly active: Readonly<Record<string, readonly number[]>>;
}

/** Options of {@link estimateChildStepMemory}. */
export interface ChildMemoryOptions {
  /** NDHWC input of one step `[batch, z, y, x, inputChannels]`. */
  readonly inputShape: Shape5;
  /** Default `'adam'`. */
  readonly optimizer?: OptimizerStateKind;
  /** Kernels that run the step. Default `'js'` (the larger estimate). */
  readonly kernels?: StepKernels;
  /** Activation recomputation of the child (`BuildChildOptions.recompute`). Default `'none'`. */
  readonly recompute?: CellRecompute;
}

const elements = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function shapeAt(inputShape: Shape5, level: number, channels: number): Shape5 {
  const [n, z, y, x] = inputShape;
  return [n, z / 2 ** level, y / 2 ** level, x / 2 ** level, channels];
}

/**
 * Forward activation bytes of a planned network: the blocks' cost models and node sums
 * (`planCost`), plus what the cells add around them — the concatenation of the nodes before the
 * projection, in supernet mode one weighted copy `w_i · op_i(x)` per active path — and the loss's
 * logits-sized tensors (log-softmax, product with the one-hot labels, sum).
 */
/**
 * A recomputed cell holds more than its share of the tape while the backward pass recomputes it (its
 * pre-processing at the inputs' finer level, the node concatenation): its activation bytes count
 * this many times in the recomputed step's estimate (fitted on `tf.profile` peaks of recomputed
 * supernet and child steps, js and native kernels; docs/memory.md).
 */
const RECOMPUTED_CELL_SCALE = 1.25;

/** The same for a cell recomputed with a segment per edge operator inside (`recompute: 'edge'`). */
const RECOMPUTED_EDGE_CELL_SCALE = 0.8;

function networkActivationBytes(
  plan: NetworkPlan,
  macro: MacroConfig,
  inputShape: Shape5,
  mixed: boolean,
): { bytes: number; recompute: Readonly<Record<'cell' | 'edge', RecomputeSegments>> } {
  const costs = planCost(plan, macro, inputShape);
  let bytes = costs.total.activationBytes;
  const segmentBytes: number[] = [];
  const edgeSegmentBytes: number[] = [];
  const sources = new Map<string, number>([['stem', 4 * elements(shapeAt(inputShape, 0, macro.baseChannels))]]);
  const kept = new Set<string>();
  for (const { instance, blocks } of plan.cells) {
    const out = elements(shapeAt(inputShape, instance.level, instance.channels));
    let cell = costs.cells[instance.id]!.activationBytes;
    // The additive skip runs after the cell, outside its segment.
    if (instance.skip !== undefined) cell -= 4 * out;
    if (macro.nodes > 1) cell += 4 * out * macro.nodes;
    if (mixed) cell += 4 * out * blocks.filter((b) => b.edge !== undefined).length;
    bytes += cell - costs.cells[instance.id]!.activationBytes + (instance.skip !== undefined ? 4 * out : 0);
    segmentBytes.push(cell);
    // 'edge': inside the recomputed cell only the operators' outputs are kept, and one operator's
    // inside is on the tape at a time.
    const ops = blocks.filter((b) => b.edge !== undefined).map((b) => {
      const { channelsIn, ...rest } = b.config;
      return operatorCost(b.operator, { ...rest, inputShape: shapeAt(inputShape, b.inputLevel, channelsIn) }).activationBytes;
    });
    const opBytes = ops.reduce((a, b) => a + b, 0);
    edgeSegmentBytes.push(Math.min(cell, cell - opBytes + 4 * out * ops.length + Math.max(0, ...ops)));
    for (const id of instance.inputs) kept.add(id);
    sources.set(instance.id, 4 * out);
  }
  bytes += 3 * 4 * elements(shapeAt(inputShape, 0, macro.classes));
  const boundaryBytes = [...kept].reduce((sum, id) => sum + sources.get(id)!, 0);
  return {
    bytes,
    recompute: {
      cell: { segmentBytes, boundaryBytes, segmentScale: RECOMPUTED_CELL_SCALE },
      edge: { segmentBytes, boundaryBytes, segmentScale: RECOMPUTED_EDGE_CELL_SCALE, recomputedBytes: Math.max(...edgeSegmentBytes) },
    },
  };
}

function inputBytes(macro: MacroConfig, inputShape: Shape5): number {
  // the image and the labels (one-hot float32 or int32 indices: at most `classes` floats per voxel)
  return 4 * elements(shapeAt(inputShape, 0, macro.inputChannels + macro.classes));
}

function checkShape(where: string, inputShape: unknown): Shape5 {
  if (!Array.isArray(inputShape) || inputShape.length !== 5 || inputShape.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new InvalidArgumentError(`${where}: options.inputShape must be an NDHWC shape [n, z, y, x, c] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  return inputShape as unknown as Shape5;
}

function checkRecompute(where: string, mode: unknown): CellRecompute {
  if (mode === undefined) return 'none';
  if (!CELL_RECOMPUTE_MODES.includes(mode as CellRecompute)) {
    throw new InvalidArgumentError(`${where}: options.recompute is ${JSON.stringify(mode)}, expected 'none', 'cell' or 'edge'`);
  }
  return mode as CellRecompute;
}

function recomputeOf(segments: Readonly<Record<'cell' | 'edge', RecomputeSegments>>, mode: CellRecompute): { recompute?: RecomputeSegments } {
  return mode === 'none' ? {} : { recompute: segments[mode] };
}

/** Activation bytes of each candidate of each edge label, summed over every cell using the label. */
function candidateBytes(space: SearchSpace, inputShape: Shape5): Map<string, number[]> {
  const plan = planNetwork(space.macro, space.edges, (e) => e.candidates.map((_, i) => i));
  const out = new Map<string, number[]>();
  for (const { instance, blocks } of plan.cells) {
    for (const b of blocks) {
      if (b.edge === undefined) continue;
      const { channelsIn, ...rest } = b.config;
      const cost = operatorCost(b.operator, { ...rest, inputShape: shapeAt(inputShape, b.inputLevel, channelsIn) });
      const row = out.get(b.edge.label) ?? b.edge.candidates.map(() => 0);
      row[b.candidate!]! += cost.activationBytes + 4 * elements(shapeAt(inputShape, instance.level, instance.channels));
      out.set(b.edge.label, row);
    }
  }
  return out;
}

/** The `k` largest entries' indices, ascending (ties: the lower index). */
function topK(values: readonly number[], k: number): number[] {
  return values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

/**
 * Estimates the peak tensor bytes of one search step of a supernet of `space` — forward and backward
 * through the sampled paths, gradients of the weights and α, the optimisers' state — from the
 * operators' cost models, without building or allocating anything (see `estimateStepMemory` of
 * `@voxnas/ops` for the model and its calibration). `full` runs every candidate (DARTS); `gumbel`
 * with `k` paths and `uniform` (one path) are estimated at their worst draw: on every edge label the
 * `k` candidates with the most activation bytes.
 *
 * @throws InvalidArgumentError for a malformed `inputShape` or sampler; ShapeMismatchError when the
 *   input breaks the size rule (multiple of 2^(levels−1), the operators' minimum size).
 * @example
 * const space = createSearchSpace({ levels: 4, baseChannels: 16 });
 * const m = estimateSearchStepMemory(space, { inputShape: [2, 64, 96, 96, 1], sampler: { kind: 'gumbel', k: 1 } });
 * console.log(formatBytes(m.totalBytes)); // the step's estimated peak
 */
export function estimateSearchStepMemory(space: SearchSpace, options: SearchMemoryOptions): SearchMemoryEstimate {
  const where = 'estimateSearchStepMemory';
  const inputShape = checkShape(where, options?.inputShape);
  const sampler = options.sampler ?? { kind: 'gumbel', k: 1 };
  const macro = space.macro;
  checkNetworkInput(where, inputShape, macro, minimumInputSize(macro, new Set(space.edges.flatMap((e) => e.candidates))));
  let k: number | 'all';
  let name: string;
  if (sampler.kind === 'full') {
    k = 'all';
    name = 'full';
  } else if (sampler.kind === 'uniform') {
    k = 1;
    name = 'uniform';
  } else if (sampler.kind === 'gumbel') {
    k = sampler.k ?? 1;
    name = `gumbel k=${k}`;
    const most = Math.min(...space.edges.map((e) => e.candidates.length));
    if (!Number.isInteger(k) || k < 1 || k > most) {
      throw new InvalidArgumentError(`${where}: gumbel k must be an integer in [1, ${most}] (the fewest candidates of an edge), got ${String(sampler.k)}`);
    }
  } else {
    throw new InvalidArgumentError(`${where}: sampler kind is ${JSON.stringify((sampler as { kind: unknown }).kind)}, expected 'full', 'gumbel' or 'uniform'`);
  }
  const perCandidate = k === 'all' ? undefined : candidateBytes(space, inputShape);
  const active: Record<string, number[]> = {};
  for (const e of space.edges) {
    if (active[e.label] !== undefined) continue;
    active[e.label] = k === 'all' ? e.candidates.map((_, i) => i) : topK(perCandidate!.get(e.label) ?? e.candidates.map(() => 0), k);
  }
  const allPlan = planNetwork(macro, space.edges, (e) => e.candidates.map((_, i) => i));
  const params = planCost(allPlan, macro, inputShape).total.params;
  const alphas = Object.keys(active).reduce((s, label) => s + space.edges.find((e) => e.label === label)!.candidates.length, 0);
  const plan = k === 'all' ? allPlan : planNetwork(macro, space.edges, (e) => active[e.label]!);
  const activations = networkActivationBytes(plan, macro, inputShape, true);
  const estimate = estimateStepMemory({
    params: params + alphas,
    activationBytes: activations.bytes,
    inputBytes: inputBytes(macro, inputShape),
    optimizer: options.optimizer ?? 'adam',
    kernels: options.kernels ?? 'js',
    ...recomputeOf(activations.recompute, checkRecompute(where, options.recompute)),
  });
  return { ...estimate, sampler: name, active };
}

/**
 * Estimates the peak tensor bytes of one training step of the child network of `genotype` (forward,
 * backward, weight gradients, optimiser state) from the cost models, without building it (see
 * `estimateStepMemory` of `@voxnas/ops`).
 *
 * @throws GenotypeError for an invalid genotype; InvalidArgumentError for a malformed `inputShape`;
 *   ShapeMismatchError when the input breaks the size rule.
 * @example
 * const m = estimateChildStepMemory(genotype, { inputShape: [2, 64, 96, 96, 1] });
 * m.totalBytes; // the step's estimated peak
 */
export function estimateChildStepMemory(genotype: Genotype, options: ChildMemoryOptions): StepMemoryEstimate {
  const where = 'estimateChildStepMemory';
  const g = validateGenotype(genotype, { source: where });
  const inputShape = checkShape(where, options?.inputShape);
  const edges = genotypeEdges(g);
  checkNetworkInput(where, inputShape, g.macro, minimumInputSize(g.macro, new Set(edges.map((e) => e.candidates[0]!).filter((o) => o !== ZERO_OPERATOR))));
  const plan = planNetwork(g.macro, edges, childOperators);
  const activations = networkActivationBytes(plan, g.macro, inputShape, false);
  return estimateStepMemory({
    params: planCost(plan, g.macro, inputShape).total.params,
    activationBytes: activations.bytes,
    inputBytes: inputBytes(g.macro, inputShape),
    optimizer: options.optimizer ?? 'adam',
    kernels: options.kernels ?? 'js',
    ...recomputeOf(activations.recompute, checkRecompute(where, options.recompute)),
  });
}

/**
 * The child of `space` with the most activation bytes on `inputShape` a search can derive: on every
 * edge label its most memory-hungry candidate other than `zero`. Its {@link estimateChildStepMemory}
 * bounds the retraining step of any derived child — what a pre-flight checks before a search.
 *
 * @example
 * const bound = estimateChildStepMemory(heaviestChild(space, [2, 64, 96, 96, 1]), { inputShape: [2, 64, 96, 96, 1] });
 */
export function heaviestChild(space: SearchSpace, inputShape: Shape5): Genotype {
  const shape = checkShape('heaviestChild', inputShape);
  const bytes = candidateBytes(space, shape);
  const choices: Record<string, string> = {};
  for (const e of space.edges) {
    if (choices[e.label] !== undefined) continue;
    const row = bytes.get(e.label)!;
    let best = -1;
    e.candidates.forEach((op, i) => {
      if (op !== ZERO_OPERATOR && (best < 0 || row[i]! > row[best]!)) best = i;
    });
    choices[e.label] = e.candidates[best]!;
  }
  return validateGenotype({ schema: GENOTYPE_SCHEMA, macro: space.macro, choices }, { source: 'heaviestChild' });
}
