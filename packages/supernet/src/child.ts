import type * as tf from '@tensorflow/tfjs-core';
import { listOperators, type Network, type OnnxEmitContext } from '@voxnas/ops';
import { InvalidArgumentError, ShapeMismatchError, type Rng } from '@voxnas/core';
import { checkOperatorsKnown } from './cell.js';
import { CellNetwork, type CellRecompute } from './cell-network.js';
import { childOperators, genotypeEdges } from './internal/genotype-edges.js';
import { validateGenotype, type Genotype } from './genotype.js';
import { ZERO_OPERATOR, type SearchSpace } from './search-space.js';
import type { Supernet } from './supernet.js';

/** Options of {@link buildChild}. */
export interface BuildChildOptions {
  /** Root stream; weights come from `rng.fork('init')` exactly as in the supernet, so one seed gives both the same initial weights. */
  readonly rng: Rng;
  /**
   * Copy the weights of every block the child shares with this supernet (same path, same shape):
   * stem, pre-processing, the chosen operator of each edge, projections and head.
   */
  readonly inheritFrom?: Supernet;
  /** Activation recomputation per cell in training (see `CellRecompute`; `setRecompute` changes it). Default `'none'`. */
  readonly recompute?: CellRecompute;
}

/**
 * A network built from a genotype: the supernet's macro network and cell class with exactly one
 * operator per non-`zero` edge and no supernet machinery on the forward path (no α, no sampling, no
 * weighting). Its variable paths equal the supernet's for the same blocks. Usually made by
 * {@link buildChild}, which also validates the genotype against the space.
 *
 * @example
 * const child = new ChildNetwork(validateGenotype(json), new Rng(1));
 */
export class ChildNetwork extends CellNetwork implements Network {
  constructor(
    readonly genotype: Genotype,
    rng: Rng,
  ) {
    const names = Object.values(genotype.choices).filter((o) => o !== ZERO_OPERATOR);
    checkOperatorsKnown(new Set(names));
    super(genotype.macro, genotypeEdges(genotype), childOperators, rng.fork('init'));
  }

  forward(x: tf.Tensor5D): tf.Tensor5D {
    return this.runCells(x, 'ChildNetwork.apply');
  }

  /** ONNX export of the logits (the same flow as `forward`); used by `exportOnnx` of `@voxnas/onnx`. */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return this.emitCellsOnnx(ctx, x);
  }
}

/**
 * Builds the child network of a genotype (validated against `space`: its candidates, node count and cell
 * inputs). The output has the input's spatial shape and `genotype.macro.classes` channels (logits); the
 * input's spatial sizes must be multiples of 2^(levels−1) and at least 2^levels, else `apply` throws a
 * `ShapeMismatchError`.
 *
 * @throws GenotypeError when the genotype is invalid for `space` or names an operator that is not
 *   registered; ShapeMismatchError when `inheritFrom` has a block of another shape.
 * @example
 * const child = buildChild(space, genotype, { rng: new Rng(1) });
 * const logits = child.apply(x); // [1, 16, 24, 32, 1] → [1, 16, 24, 32, 2]
 */
export function buildChild(space: SearchSpace, genotype: Genotype, options: BuildChildOptions): ChildNetwork {
  const g = validateGenotype(genotype, { space, source: 'buildChild', operators: listOperators().map((o) => o.name) });
  if (options === undefined || options.rng === undefined) {
    throw new InvalidArgumentError('buildChild: options.rng is required (the stream the initial weights come from)');
  }
  const child = new ChildNetwork(g, options.rng);
  if (options.recompute !== undefined) child.setRecompute(options.recompute);
  if (options.inheritFrom !== undefined) {
    const source = new Map(options.inheritFrom.namedVariables().map((v) => [v.path, v.variable]));
    for (const { path, variable } of child.namedVariables()) {
      const from = source.get(path);
      if (from === undefined) {
        child.dispose();
        throw new ShapeMismatchError(`buildChild: the supernet has no variable "${path}", expected the same space and macro as the genotype`);
      }
      if (from.shape.join(',') !== variable.shape.join(',')) {
        child.dispose();
        throw new ShapeMismatchError(
          `buildChild: "${path}" has shape [${from.shape.join(', ')}] in the supernet, expected [${variable.shape.join(', ')}] (same baseChannels and classes)`,
        );
      }
      variable.assign(from);
    }
  }
  return child;
}
