import type { OperatorCost, Shape5 } from '@voxnas/ops';
import { InvalidArgumentError } from '@voxnas/core';
import { checkNetworkInput, minimumInputSize, planCost, planNetwork } from './cell-network.js';
import { validateGenotype, type Genotype } from './genotype.js';
import { childOperators, genotypeEdges } from './internal/genotype-edges.js';
import { ZERO_OPERATOR } from './search-space.js';

/** Cost of a child network: totals and per block (`stem`, each cell id, `head`). */
export interface GenotypeCost extends OperatorCost {
  readonly blocks: Readonly<Record<string, OperatorCost>>;
}

/**
 * Parameters, forward FLOPs and activation bytes of the child network of `genotype` on an NDHWC input
 * `[n, z, y, x, c]`, from the `@voxnas/ops` registry's cost models (the same block plan the builder
 * uses, so `params` equals the built child's parameter count).
 *
 * @throws GenotypeError for an invalid genotype; ShapeMismatchError when `inputShape` breaks the size
 *   rule; UnknownOperatorError for an unregistered operator.
 * @example
 * const { params, flops } = genotypeCost(genotype, { inputShape: [1, 64, 64, 64, 1] });
 */
export function genotypeCost(genotype: Genotype, options: { inputShape: Shape5 }): GenotypeCost {
  const g = validateGenotype(genotype, { source: 'genotypeCost' });
  if (!Array.isArray(options?.inputShape)) {
    throw new InvalidArgumentError('genotypeCost: options.inputShape must be an NDHWC shape [n, z, y, x, c]');
  }
  const edges = genotypeEdges(g);
  checkNetworkInput('genotypeCost', options.inputShape, g.macro, minimumInputSize(g.macro, new Set(edges.map((e) => e.candidates[0]!).filter((o) => o !== ZERO_OPERATOR))));
  const plan = planNetwork(g.macro, edges, childOperators);
  const { total, cells } = planCost(plan, g.macro, options.inputShape);
  return { ...total, blocks: cells };
}
