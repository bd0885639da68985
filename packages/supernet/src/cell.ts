import * as tf from '@tensorflow/tfjs-core';
import { buildOperator, getOperator, identity as identityOperator, Module, recompute, type OnnxEmitContext, type OperatorConfig, type OperatorSpec } from '@voxnas/ops';
import type { Rng } from '@voxnas/core';
import { preprocessSpec, projectSpec } from './internal/blocks.js';
import { mixPaths } from './internal/mix-paths.js';
import type { CellInstance, EdgeSpec, MacroConfig } from './search-space.js';

/** A sampled decision for one edge label: weights over the edge's candidates and the paths to run. */
export interface EdgeDecision {
  readonly weights: tf.Tensor1D;
  readonly active: readonly number[];
  /** The forward value of `weights` when the sampler knows it on the host (see `SampleResult.values`). */
  readonly values?: Float32Array;
}

/** Where a cell input comes from: its resolution level and channels. */
export interface CellSource {
  readonly level: number;
  readonly channels: number;
}

/** One block of a cell (pre-processing, one candidate of one edge, or the output projection) as data. */
export interface BlockPlan {
  /** Module path inside the cell (`pre0`, `edge.in0-n1/conv-3x3x3`, `project`). */
  readonly path: string;
  readonly operator: string | OperatorSpec;
  readonly config: OperatorConfig;
  /** Resolution level of the block's input. */
  readonly inputLevel: number;
  /** For edge candidates: the edge and the candidate's index in `edge.candidates`. */
  readonly edge?: EdgeSpec;
  readonly candidate?: number;
}

/** `in0->n1` → `edge.in0-n1` (a valid module name). */
export function edgeModuleName(edge: EdgeSpec): string {
  return `edge.${edge.from}-${edge.to}`;
}

/**
 * The blocks of one cell, shared by the builder and the cost model, so both always agree:
 * - `pre<k>`: input k brought to the cell's input level and channels: ReLU → conv 1×1×1 → InstanceNorm
 *   at the same level; the stride-2 `identity` operator (factorised reduce) from the finer level; the
 *   same 1×1×1 block after trilinear ×2 upsampling from the coarser level;
 * - `edge.<from>-<to>/<operator>`: each operator to build on that edge (`operators(edge)` gives the
 *   candidate indices: all of them in the supernet, the chosen one in a child, none for `zero`);
 * - `project`: conv 1×1×1 + bias of the concatenated nodes.
 */
export function planCell(options: {
  instance: CellInstance;
  macro: MacroConfig;
  edges: readonly EdgeSpec[];
  sources: readonly CellSource[];
  operators: (edge: EdgeSpec) => readonly number[];
}): BlockPlan[] {
  const { instance, macro, edges, sources } = options;
  const c = instance.channels;
  const plan: BlockPlan[] = [];
  sources.forEach((src, k) => {
    const path = `pre${k}`;
    if (src.level === instance.inputLevel) {
      plan.push({ path, operator: preprocessSpec, config: { channelsIn: src.channels, channelsOut: c }, inputLevel: src.level });
    } else if (src.level === instance.inputLevel - 1) {
      plan.push({ path, operator: identityOperator, config: { channelsIn: src.channels, channelsOut: c, stride: 2 }, inputLevel: src.level });
    } else if (src.level === instance.inputLevel + 1) {
      plan.push({ path, operator: preprocessSpec, config: { channelsIn: src.channels, channelsOut: c, upsample: 2 }, inputLevel: src.level });
    } else {
      throw new Error(`planCell(${instance.id}): input ${k} at level ${src.level}, cell input level ${instance.inputLevel}`);
    }
  });
  for (const edge of edges) {
    for (const i of options.operators(edge)) {
      const op = edge.candidates[i]!;
      const config: OperatorConfig = {
        channelsIn: c,
        channelsOut: c,
        stride: edge.resample === 'down' ? 2 : 1,
        upsample: edge.resample === 'up' ? 2 : 1,
      };
      const inputLevel = edge.fromIndex < macro.cellInputs ? instance.inputLevel : instance.level;
      plan.push({ path: `${edgeModuleName(edge)}/${op}`, operator: op, config, inputLevel, edge, candidate: i });
    }
  }
  plan.push({ path: 'project', operator: projectSpec, config: { channelsIn: c * macro.nodes, channelsOut: c }, inputLevel: instance.level });
  return plan;
}

/** A container of named modules with no forward of its own. */
class ModuleGroup extends Module<never, never> {
  add<M extends Module<tf.Tensor5D, tf.Tensor5D>>(name: string, m: M): M {
    return this.addModule(name, m);
  }
  forward(): never {
    throw new Error('ModuleGroup has no forward');
  }
}

/** Input of {@link Cell.forward}. */
export interface CellInput {
  /** Outputs of the `cellInputs` previous cells, oldest first. */
  readonly inputs: readonly tf.Tensor5D[];
  /** Supernet mode: per edge label, which candidates run and their weights. Absent: child mode. */
  readonly decisions?: ReadonlyMap<string, EdgeDecision>;
  /** Run each edge operator as its own recomputation segment (`recompute` of `@voxnas/ops`). Default false. */
  readonly recomputeEdges?: boolean;
}

/**
 * One cell (the same class in the supernet and in a child): pre-processing of its inputs, a DAG of
 * `nodes` intermediate nodes, each the sum of its incoming edges, and a 1×1×1 projection of the
 * concatenated nodes. In supernet mode each edge computes `Σ_{i ∈ active} w_i · op_i(x)` for the
 * sampled decision of its label (nothing else runs); in child mode each built edge adds `op(x)`.
 */
export class Cell extends Module<CellInput, tf.Tensor5D> {
  private readonly pre: Array<Module<tf.Tensor5D, tf.Tensor5D>> = [];
  private readonly edgeOps = new Map<string, Map<number, Module<tf.Tensor5D, tf.Tensor5D>>>();
  private readonly project: Module<tf.Tensor5D, tf.Tensor5D>;
  constructor(
    readonly instance: CellInstance,
    readonly macro: MacroConfig,
    readonly edges: readonly EdgeSpec[],
    plan: readonly BlockPlan[],
    rng: Rng,
  ) {
    super();
    const groups = new Map<string, ModuleGroup>();
    let project: Module<tf.Tensor5D, tf.Tensor5D> | undefined;
    for (const block of plan) {
      const m = buildOperator(block.operator, { ...block.config, rng: rng.fork(block.path) });
      if (block.edge !== undefined) {
        const name = edgeModuleName(block.edge);
        let g = groups.get(name);
        if (g === undefined) {
          g = this.addModule(name, new ModuleGroup());
          groups.set(name, g);
        }
        g.add(block.path.slice(name.length + 1), m);
        const ops = this.edgeOps.get(block.edge.label) ?? new Map<number, Module<tf.Tensor5D, tf.Tensor5D>>();
        ops.set(block.candidate!, m);
        this.edgeOps.set(block.edge.label, ops);
      } else if (block.path === 'project') {
        project = this.addModule('project', m);
      } else {
        this.pre.push(this.addModule(block.path, m));
      }
    }
    this.project = project!;
  }

  forward({ inputs, decisions, recomputeEdges }: CellInput): tf.Tensor5D {
    const run = (op: Module<tf.Tensor5D, tf.Tensor5D>, x: tf.Tensor5D): tf.Tensor5D =>
      recomputeEdges === true ? recompute((t) => op.forward(t as tf.Tensor5D), { inputs: [x], variables: op.trainableVariables() }) : op.forward(x);
    const states: tf.Tensor5D[] = inputs.map((x, k) => this.pre[k]!.forward(x));
    const [n, d, h, w] = states[0]!.shape;
    const f = this.instance.level > this.instance.inputLevel ? 0.5 : this.instance.level < this.instance.inputLevel ? 2 : 1;
    const outShape: [number, number, number, number, number] = [n, d * f, h * f, w * f, this.instance.channels];
    const nodes: tf.Tensor5D[] = [];
    for (let t = 0; t < this.macro.nodes; t++) {
      const paths: tf.Tensor5D[] = [];
      const mixed: Array<{ weights: tf.Tensor1D; index: number; value: number | undefined }> = [];
      for (const edge of this.edges) {
        if (edge.toIndex !== t) continue;
        const ops = this.edgeOps.get(edge.label);
        if (ops === undefined) continue;
        const src = states[edge.fromIndex]!;
        if (decisions === undefined) {
          for (const op of ops.values()) paths.push(run(op, src));
          continue;
        }
        const decision = decisions.get(edge.label);
        if (decision === undefined) throw new Error(`Cell ${this.instance.id}: no decision for edge ${edge.label}`);
        for (const i of decision.active) {
          const op = ops.get(i);
          if (op === undefined) throw new Error(`Cell ${this.instance.id}: candidate ${i} of ${edge.label} is not built`);
          paths.push(run(op, src));
          mixed.push({ weights: decision.weights, index: i, value: decision.values?.[i] });
        }
      }
      let node: tf.Tensor5D;
      if (paths.length === 0) node = tf.zeros(outShape);
      else if (decisions === undefined) node = paths.length === 1 ? paths[0]! : (tf.addN(paths) as tf.Tensor5D);
      else if (mixed.every((m) => m.value !== undefined)) node = mixPaths(mixed.map((m, j) => ({ ...m, path: paths[j]!, value: m.value! })));
      else {
        const terms = mixed.map((m, j) => tf.mul(paths[j]!, tf.slice(m.weights, [m.index], [1])) as tf.Tensor5D);
        node = terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Tensor5D);
      }
      nodes.push(node);
      states.push(node);
    }
    return this.project.forward(nodes.length === 1 ? nodes[0]! : (tf.concat(nodes, 4) as tf.Tensor5D));
  }

  /**
   * `forward` as one recomputation segment (`recompute` of `@voxnas/ops`): under a gradient tape only
   * the cell's inputs (and the sampled path weights) are kept, and the cell's inside is computed again
   * in the backward pass. Same value and gradients (weights, inputs, and α through the path weights) as
   * `forward`.
   */
  forwardRecomputed({ inputs, decisions, recomputeEdges }: CellInput): tf.Tensor5D {
    const labels = decisions === undefined ? [] : this.edges.filter((e) => this.edgeOps.has(e.label)).map((e) => e.label);
    const weights = labels.map((label) => {
      const d = decisions!.get(label);
      if (d === undefined) throw new Error(`Cell ${this.instance.id}: no decision for edge ${label}`);
      return d.weights;
    });
    const k = inputs.length;
    return recompute(
      (...ts) =>
        this.forward({
          recomputeEdges,
          inputs: ts.slice(0, k) as tf.Tensor5D[],
          decisions:
            decisions === undefined
              ? undefined
              : new Map(labels.map((label, i) => [label, { ...decisions.get(label)!, weights: ts[k + i] as tf.Tensor1D }])),
        }),
      { inputs: [...inputs, ...weights], variables: this.activeVariables(decisions) },
    );
  }

  /** The trained variables a forward pass with `decisions` reads: pre-processing, the active paths, the projection. */
  private activeVariables(decisions?: ReadonlyMap<string, EdgeDecision>): tf.Variable[] {
    const modules: Array<Module<tf.Tensor5D, tf.Tensor5D>> = [...this.pre, this.project];
    for (const edge of this.edges) {
      const ops = this.edgeOps.get(edge.label);
      if (ops === undefined) continue;
      if (decisions === undefined) modules.push(...ops.values());
      else for (const i of decisions.get(edge.label)?.active ?? []) if (ops.has(i)) modules.push(ops.get(i)!);
    }
    return [...new Set(modules.flatMap((m) => m.trainableVariables()))];
  }

  /**
   * ONNX export of the child-mode forward (every built edge added, a node without edges as zeros);
   * `inputs` are the graph values of the cell inputs, oldest first. Used by `exportOnnx` of `@voxnas/onnx`.
   */
  emitOnnx(ctx: OnnxEmitContext, inputs: readonly string[]): string {
    const states = inputs.map((x, k) => ctx.module(this.pre[k]!, x, `pre${k}`));
    const inst = this.instance;
    const resample = inst.level > inst.inputLevel ? { stride: 2 as const } : inst.level < inst.inputLevel ? { upsample: 2 as const } : {};
    const nodes: string[] = [];
    for (let t = 0; t < this.macro.nodes; t++) {
      const terms: string[] = [];
      for (const edge of this.edges) {
        const ops = edge.toIndex === t ? this.edgeOps.get(edge.label) : undefined;
        for (const [i, op] of ops ?? []) terms.push(ctx.module(op, states[edge.fromIndex]!, `${edgeModuleName(edge)}/${edge.candidates[i]}`));
      }
      const node =
        terms.length === 0
          ? ctx.zeros(states[0]!, { channels: inst.channels, ...resample, name: `n${t}/zeros` })
          : terms.length === 1
            ? terms[0]!
            : ctx.add(terms, { name: `n${t}` });
      nodes.push(node);
      states.push(node);
    }
    return ctx.module(this.project, nodes.length === 1 ? nodes[0]! : ctx.concat(nodes, { name: 'concat' }), 'project');
  }
}

/** Whether an operator name is registered (used to fail early with the registry's own error). */
export function checkOperatorsKnown(names: Iterable<string>): void {
  for (const name of names) getOperator(name);
}
