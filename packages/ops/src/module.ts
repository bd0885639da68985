import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import type { Rng } from '@voxnas/core';
import { InvalidArgumentError } from '@voxnas/core';
import type { Initializer } from './init.js';

/** One variable of a module tree with its path (`'stem/conv/weight'`) and whether it is trained. */
export interface NamedVariable {
  readonly path: string;
  readonly variable: tf.Variable;
  readonly trainable: boolean;
}

/** How `Module.addParameter` creates a variable. */
export interface ParameterOptions {
  /** Tensor shape of the parameter. */
  readonly shape: readonly number[];
  /** Fills the values (computed in JS, so identical on every backend). */
  readonly init: Initializer;
  /** Stream the initialiser draws from (not needed by constant initialisers). */
  readonly rng?: Rng;
  /** Fan-in / fan-out passed to the initialiser; default: the product of all dims but the last / but the second last. */
  readonly fanIn?: number;
  readonly fanOut?: number;
  /** `false` for buffers (e.g. BatchNorm running statistics): saved with the weights, never trained. */
  readonly trainable?: boolean;
}

/**
 * The `Network` contract (docs/architecture.md): a forward function on NDHWC tensors `[n, z, y, x, c]`,
 * its trainable and named variables, and train/eval mode. `Module` implements it; the supernet, child
 * networks and the U-Net do too, so `@voxnas/train` trains any of them. Weights are saved and loaded by
 * variable path: `serializeWeights`/`deserializeWeights` in memory, `saveWeights`/`loadWeights` of
 * `@voxnas/ops/node` as files.
 *
 * @example
 * async function fit(net: Network, x: tf.Tensor5D) {
 *   net.train();
 *   const { value } = tf.variableGrads(() => net.apply(x).square().mean() as tf.Scalar, net.trainableVariables());
 *   const { file, data } = serializeWeights(net); // model.json manifest + weights.bin bytes
 * }
 */
export interface Network {
  /** Forward pass on an NDHWC batch; the result is the caller's to dispose. */
  apply(x: tf.Tensor5D): tf.Tensor5D;
  /** Variables the weight optimiser updates (buffers excluded). */
  trainableVariables(): tf.Variable[];
  /** Every variable (parameters and buffers) with its stable path. */
  namedVariables(): NamedVariable[];
  /** Switches training mode (BatchNorm statistics, dropout) on (default) or off. */
  train(mode?: boolean): this;
  /** Same as `train(false)`. */
  eval(): this;
  readonly training: boolean;
  /** Disposes every variable. */
  dispose(): void;
}

/**
 * Base class of the explicit module system: named parameters (`tf.Variable`) with paths, nested
 * modules, deterministic initialisation from an `Rng`, and train/eval mode. Subclasses create their
 * parameters in the constructor with `addParameter`, register children with `addModule`, and
 * implement `forward`. `apply` runs `forward` inside `tf.tidy`.
 *
 * @example
 * class Scale extends Module {
 *   readonly s: tf.Variable;
 *   constructor(rng: Rng) {
 *     super();
 *     this.s = this.addParameter('s', { shape: [1], init: constantInit(2) });
 *   }
 *   forward(x: tf.Tensor): tf.Tensor { return tf.mul(x, this.s); }
 * }
 */
export abstract class Module<I = tf.Tensor, O = tf.Tensor> {
  private readonly ownParameters = new Map<string, { variable: tf.Variable; trainable: boolean }>();
  private readonly childModules = new Map<string, Module<unknown, unknown>>();
  private isTraining = true;

  /** The forward computation. Called by `apply` inside `tf.tidy`; may be called directly inside a tidy. */
  abstract forward(input: I): O;

  /** Runs `forward` inside a `tf.tidy` so intermediate tensors are released. */
  apply(input: I): O {
    // O is whatever forward returns (a tensor or a container of tensors); Module does not constrain it
    // to tf.TensorContainer, which tf.tidy's signature requires.
    return tf.tidy(() => this.forward(input) as unknown as tf.TensorContainer) as unknown as O;
  }

  /** Creates a parameter initialised in JS from `options.init` (and `options.rng`). */
  protected addParameter(name: string, options: ParameterOptions): tf.Variable {
    this.checkName(name);
    const shape = options.shape.slice();
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = options.fanIn ?? (shape.length >= 2 ? size / shape[shape.length - 1]! : size);
    const fanOut = options.fanOut ?? (shape.length >= 2 ? size / shape[shape.length - 2]! : size);
    const rng = options.rng;
    const values = options.init({
      size,
      fanIn,
      fanOut,
      get rng(): Rng {
        if (rng === undefined) throw new InvalidArgumentError(`addParameter(${name}): this initialiser needs options.rng`);
        return rng;
      },
    });
    const trainable = options.trainable ?? true;
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    this.ownParameters.set(name, { variable, trainable });
    return variable;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module<never, unknown>>(name: string, module: M): M {
    this.checkName(name);
    // Stored as Module<unknown, unknown> (children() returns it and Sequential applies children to
    // tensors); a module's input type is contravariant, so Module<I, …> is not assignable to it.
    this.childModules.set(name, module as unknown as Module<unknown, unknown>);
    return module;
  }

  private checkName(name: string): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new InvalidArgumentError(`Module: parameter/module name must match [A-Za-z0-9_.-]+, got "${name}"`);
    }
    if (this.ownParameters.has(name) || this.childModules.has(name)) {
      throw new InvalidArgumentError(`Module: name "${name}" is already used in this module`);
    }
  }

  /** Child modules in registration order. */
  children(): Array<[string, Module<unknown, unknown>]> {
    return [...this.childModules.entries()];
  }

  /** True in training mode (the default). */
  get training(): boolean {
    return this.isTraining;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    this.isTraining = mode;
    for (const child of this.childModules.values()) child.train(mode);
    return this;
  }

  /** Same as `train(false)`: BatchNorm uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Every variable of this tree, depth-first in registration order, with `/`-joined paths. */
  namedVariables(prefix = ''): NamedVariable[] {
    const out: NamedVariable[] = [];
    for (const [name, { variable, trainable }] of this.ownParameters) {
      out.push({ path: prefix + name, variable, trainable });
    }
    for (const [name, child] of this.childModules) out.push(...child.namedVariables(`${prefix}${name}/`));
    return out;
  }

  /** Trainable variables of this tree (buffers such as running statistics excluded). */
  trainableVariables(): tf.Variable[] {
    return this.namedVariables()
      .filter((v) => v.trainable)
      .map((v) => v.variable);
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.trainableVariables().reduce((n, v) => n + v.size, 0);
  }

  /** Disposes every variable of this tree. */
  dispose(): void {
    for (const { variable } of this.ownParameters.values()) variable.dispose();
    for (const child of this.childModules.values()) child.dispose();
    this.ownParameters.clear();
    this.childModules.clear();
  }
}
