import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import { buildOperator, getOperator, Module, operatorCost, type OnnxEmitContext, type OperatorCost, type Shape5 } from '@voxnas/ops';
import { InvalidArgumentError, ShapeMismatchError, type Rng } from '@voxnas/core';
import { Cell, planCell, type BlockPlan, type CellSource, type EdgeDecision } from './cell.js';
import { headSpec, stemSpec } from './internal/blocks.js';
import { macroLayout, spatialMultiple, type CellInstance, type EdgeSpec, type MacroConfig } from './search-space.js';

/**
 * Activation recomputation of a cell network in training: `'none'` keeps every activation the
 * backward pass needs; `'cell'` makes each cell one recomputation segment (`recompute` of
 * `@voxnas/ops`), so a step keeps the cells' inputs and outputs and recomputes one cell's inside at a
 * time in the backward pass — the same gradients for about one more forward pass of the cells.
 * `'edge'` nests a segment per edge operator inside each cell's segment, so recomputing a cell keeps
 * only its node tensors and recomputes one operator at a time (two more forward passes of the operators).
 */
export type CellRecompute = 'none' | 'cell' | 'edge';

/** The values of {@link CellRecompute}. */
export const CELL_RECOMPUTE_MODES = ['none', 'cell', 'edge'] as const satisfies readonly CellRecompute[];

/** Which candidates (indices into `edge.candidates`) to build on an edge. */
export type EdgeOperators = (edge: EdgeSpec) => readonly number[];

/** The blocks of the whole network, cell by cell, with the input level of each. */
export interface NetworkPlan {
  readonly layout: readonly CellInstance[];
  readonly stem: BlockPlan;
  readonly cells: ReadonlyArray<{ readonly instance: CellInstance; readonly blocks: readonly BlockPlan[] }>;
  readonly head: BlockPlan;
}

/** Plans every block of the macro network (shared by the builder and the cost model). */
export function planNetwork(macro: MacroConfig, edges: readonly EdgeSpec[], operators: EdgeOperators): NetworkPlan {
  const layout = macroLayout(macro);
  const sources = new Map<string, CellSource>([['stem', { level: 0, channels: macro.baseChannels }]]);
  const cells = layout.map((instance) => {
    const blocks = planCell({
      instance,
      macro,
      edges: edges.filter((e) => e.cell === instance.type),
      sources: instance.inputs.map((id) => sources.get(id)!),
      operators,
    });
    sources.set(instance.id, { level: instance.level, channels: instance.channels });
    return { instance, blocks };
  });
  return {
    layout,
    stem: { path: 'stem', operator: stemSpec, config: { channelsIn: macro.inputChannels, channelsOut: macro.baseChannels }, inputLevel: 0 },
    cells,
    head: { path: 'head', operator: headSpec, config: { channelsIn: macro.baseChannels, channelsOut: macro.classes }, inputLevel: 0 },
  };
}

/**
 * The smallest input [z, y, x] a network accepts: 2^(levels−1) times the largest `minInputSize` of the
 * operators it runs (they run at the coarsest level too), per axis.
 */
export function minimumInputSize(macro: MacroConfig, operators: Iterable<string>): [number, number, number] {
  const m = spatialMultiple(macro);
  const min: [number, number, number] = [1, 1, 1];
  for (const name of operators) {
    const s = getOperator(name).minInputSize;
    for (let a = 0; a < 3; a++) min[a] = Math.max(min[a]!, s[a]!);
  }
  return [m * min[0], m * min[1], m * min[2]];
}

/**
 * Checks an NDHWC input against the size rule: rank 5, `inputChannels` channels, and every spatial
 * size a multiple of 2^(levels−1) and at least `minSize` (see {@link minimumInputSize}).
 */
export function checkNetworkInput(where: string, shape: readonly number[], macro: MacroConfig, minSize: readonly number[]): void {
  const m = spatialMultiple(macro);
  if (shape.length !== 5) {
    throw new ShapeMismatchError(`${where}: input has shape [${shape.join(', ')}], expected rank 5 NDHWC [n, z, y, x, ${macro.inputChannels}]`);
  }
  if (shape[4] !== macro.inputChannels) {
    throw new ShapeMismatchError(`${where}: input has ${shape[4]} channel(s) (last axis of [${shape.join(', ')}]), expected ${macro.inputChannels}`);
  }
  const spatial = shape.slice(1, 4);
  if (spatial.some((s, a) => s % m !== 0 || s < minSize[a]!)) {
    const fix = spatial.map((s, a) => Math.max(minSize[a]!, Math.ceil(s / m) * m));
    throw new ShapeMismatchError(
      `${where}: spatial size [${spatial.join(', ')}] (z, y, x) must be multiples of ${m} = 2^(levels−1) and at least [${minSize.join(', ')}], expected e.g. [${fix.join(', ')}] (pad or crop the input)`,
    );
  }
}

/**
 * The macro network shared by the supernet and every child: stem, the cells of {@link macroLayout}
 * with additive encoder→decoder skips, and the 1×1×1 head. Subclasses choose which operators each
 * edge builds and whether `forward` passes sampled decisions.
 */
export abstract class CellNetwork extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly layout: readonly CellInstance[];
  protected readonly stem: Module<tf.Tensor5D, tf.Tensor5D>;
  protected readonly cells: Cell[] = [];
  protected readonly head: Module<tf.Tensor5D, tf.Tensor5D>;
  /** Smallest accepted input [z, y, x] (see {@link minimumInputSize}). */
  readonly minInputSize: readonly [number, number, number];
  private recomputeMode: CellRecompute = 'none';

  protected constructor(
    readonly macro: MacroConfig,
    edges: readonly EdgeSpec[],
    operators: EdgeOperators,
    rng: Rng,
  ) {
    super();
    const plan = planNetwork(macro, edges, operators);
    this.layout = plan.layout;
    this.minInputSize = minimumInputSize(macro, new Set(edges.flatMap((e) => operators(e).map((i) => e.candidates[i]!))));
    this.stem = this.addModule('stem', buildOperator(plan.stem.operator, { ...plan.stem.config, rng: rng.fork('stem') }));
    for (const { instance, blocks } of plan.cells) {
      this.cells.push(
        this.addModule(
          instance.id,
          new Cell(
            instance,
            macro,
            edges.filter((e) => e.cell === instance.type),
            blocks,
            rng.fork(instance.id),
          ),
        ),
      );
    }
    this.head = this.addModule('head', buildOperator(plan.head.operator, { ...plan.head.config, rng: rng.fork('head') }));
  }

  /** The activation recomputation of the cells (see {@link CellRecompute}). Default `'none'`. */
  get recompute(): CellRecompute {
    return this.recomputeMode;
  }

  /**
   * Switches activation recomputation (see {@link CellRecompute}); takes effect at the next forward pass.
   *
   * @throws InvalidArgumentError for another value than `'none'`, `'cell'` or `'edge'`.
   */
  setRecompute(mode: CellRecompute): this {
    if (!CELL_RECOMPUTE_MODES.includes(mode)) {
      throw new InvalidArgumentError(`${this.constructor.name}.setRecompute: mode is ${JSON.stringify(mode)}, expected 'none', 'cell' or 'edge'`);
    }
    this.recomputeMode = mode;
    return this;
  }

  /** Runs the macro network; `decisions` switches the cells to supernet mode. */
  protected runCells(x: tf.Tensor5D, where: string, decisions?: ReadonlyMap<string, EdgeDecision>): tf.Tensor5D {
    checkNetworkInput(where, x.shape, this.macro, this.minInputSize);
    const outputs = new Map<string, tf.Tensor5D>([['stem', this.stem.forward(x)]]);
    let last: tf.Tensor5D = outputs.get('stem')!;
    for (const cell of this.cells) {
      const inst = cell.instance;
      const input = { inputs: inst.inputs.map((id) => outputs.get(id)!), decisions };
      let y = this.recomputeMode === 'none' ? cell.forward(input) : cell.forwardRecomputed({ ...input, recomputeEdges: this.recomputeMode === 'edge' });
      if (inst.skip !== undefined) y = tfc.add(y, outputs.get(inst.skip)!);
      outputs.set(inst.id, y);
      last = y;
    }
    return this.head.forward(last);
  }

  /**
   * ONNX export of the child-mode forward (stem, cells with their additive skips, head): what a
   * child's `emitOnnx` writes. A supernet's sampled mode is not exportable.
   */
  protected emitCellsOnnx(ctx: OnnxEmitContext, x: string): string {
    const outputs = new Map<string, string>([['stem', ctx.module(this.stem, x, 'stem')]]);
    let last = outputs.get('stem')!;
    for (const cell of this.cells) {
      const inst = cell.instance;
      let y = ctx.scope(inst.id, () => cell.emitOnnx(ctx, inst.inputs.map((id) => outputs.get(id)!)));
      if (inst.skip !== undefined) y = ctx.add([y, outputs.get(inst.skip)!], { name: `${inst.id}/skip` });
      outputs.set(inst.id, y);
      last = y;
    }
    return ctx.module(this.head, last, 'head');
  }
}

/** Cost of a network plan on an input of spatial size [z, y, x] (batch `n`). */
export function planCost(plan: NetworkPlan, macro: MacroConfig, inputShape: Shape5): { total: OperatorCost; cells: Record<string, OperatorCost> } {
  const [n, z, y, x] = inputShape;
  const shapeAt = (level: number, channels: number): Shape5 => [n, z / 2 ** level, y / 2 ** level, x / 2 ** level, channels];
  const cost = (b: BlockPlan) => {
    const { channelsIn, ...rest } = b.config;
    return operatorCost(b.operator, { ...rest, inputShape: shapeAt(b.inputLevel, channelsIn) });
  };
  const add = (a: OperatorCost, b: OperatorCost): OperatorCost => ({
    params: a.params + b.params,
    flops: a.flops + b.flops,
    activationBytes: a.activationBytes + b.activationBytes,
  });
  const zero: OperatorCost = { params: 0, flops: 0, activationBytes: 0 };
  const cells: Record<string, OperatorCost> = { stem: cost(plan.stem) };
  for (const { instance, blocks } of plan.cells) {
    let c = blocks.reduce((acc, b) => add(acc, cost(b)), zero);
    const out = shapeAt(instance.level, instance.channels);
    const outElems = out.reduce((a, b) => a * b, 1);
    // node sums (edges beyond the first into a node) and the additive skip: 1 FLOP per element each.
    const extra = (instance.skip !== undefined ? 1 : 0) * outElems;
    c = add(c, { params: 0, flops: extra, activationBytes: 4 * extra + 4 * outElems * macro.nodes });
    cells[instance.id] = c;
  }
  cells.head = cost(plan.head);
  void macro;
  const total = Object.values(cells).reduce(add, zero);
  return { total, cells };
}
