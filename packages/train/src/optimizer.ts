import * as tf from '@tensorflow/tfjs-core';
import { TrainConfigError } from './errors.js';

/**
 * An optimiser as plain JSON data (goes into `config.json`). The learning rate is not part of it: it
 * comes from a {@link Schedule} at every step.
 *
 * - `sgd`: PyTorch `SGD` semantics — `g ← g + wd·p`, `b ← μ·b + g` (b₀ = g), Nesterov `g ← g + μ·b`
 *   (else `g ← b`), `p ← p − lr·g`. Defaults: μ = 0.99, Nesterov on (nnU-Net), wd = 0.
 * - `adam`: PyTorch `Adam` (weight decay added to the gradient, L2). Defaults β = (0.9, 0.999), ε = 1e-8.
 * - `adamw`: PyTorch `AdamW` — decoupled decay `p ← p·(1 − lr·wd)` before the Adam step. Default wd = 0.01.
 */
export type OptimizerSpec =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }
  | { kind: 'adamw'; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number };

/**
 * The optimiser kinds of {@link OptimizerSpec} (configs offer these).
 *
 * @example
 * OPTIMIZER_KINDS; // ['adamw', 'adam', 'sgd']
 */
export const OPTIMIZER_KINDS = ['adamw', 'adam', 'sgd'] as const satisfies ReadonlyArray<OptimizerSpec['kind']>;

/** A parameter the optimiser updates, with the stable name its state is saved under. */
export interface OptimizerParam {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * The complete, serialisable state of an {@link Optimizer}: the update count and every slot tensor
 * (momentum buffers, moment estimates) as float32 arrays keyed `"<param name>/<slot>"`.
 * Restoring it with {@link Optimizer.setState} continues bit-identically.
 */
export interface OptimizerState {
  readonly spec: OptimizerSpec;
  readonly step: number;
  /** Updates each parameter has received (a parameter without a gradient in a step is skipped). */
  readonly paramSteps: Readonly<Record<string, number>>;
  readonly slots: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly values: Float32Array }>;
}

interface Resolved {
  kind: OptimizerSpec['kind'];
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

function resolve(spec: OptimizerSpec): Resolved {
  if (spec === null || typeof spec !== 'object' || !['sgd', 'adam', 'adamw'].includes(spec.kind)) {
    throw new TrainConfigError(
      `optimizer.kind is '${String((spec as { kind?: unknown } | null)?.kind)}', expected 'sgd', 'adam' or 'adamw'`,
    );
  }
  const r: Resolved = {
    kind: spec.kind,
    momentum: spec.kind === 'sgd' ? (spec.momentum ?? 0.99) : 0,
    nesterov: spec.kind === 'sgd' ? (spec.nesterov ?? true) : false,
    beta1: spec.kind !== 'sgd' ? (spec.beta1 ?? 0.9) : 0,
    beta2: spec.kind !== 'sgd' ? (spec.beta2 ?? 0.999) : 0,
    epsilon: spec.kind !== 'sgd' ? (spec.epsilon ?? 1e-8) : 0,
    weightDecay: spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0),
  };
  const check = (field: string, v: number, ok: boolean, want: string) => {
    if (!ok || !Number.isFinite(v)) throw new TrainConfigError(`optimizer.${field} is ${v}, expected ${want}`);
  };
  check('momentum', r.momentum, r.momentum >= 0 && r.momentum < 1, 'a number in [0, 1)');
  if (r.nesterov && r.momentum === 0) {
    throw new TrainConfigError(`optimizer.nesterov needs momentum > 0, got momentum ${r.momentum}`);
  }
  check('beta1', r.beta1, r.beta1 >= 0 && r.beta1 < 1, 'a number in [0, 1)');
  check('beta2', r.beta2, r.beta2 >= 0 && r.beta2 < 1, 'a number in [0, 1)');
  check('epsilon', r.epsilon, r.epsilon >= 0, 'a number ≥ 0');
  check('weightDecay', r.weightDecay, r.weightDecay >= 0, 'a number ≥ 0');
  return r;
}

/**
 * A small optimiser over `tf.Variable`s whose whole state can be exported and imported exactly
 * (tfjs's own optimisers keep the step count and slot names internal). Updates follow PyTorch's
 * formulas in float32 on the active backend, so one backend gives one result.
 *
 * @example
 * const opt = new Optimizer({ kind: 'adamw', weightDecay: 1e-4 }, net.namedVariables()
 *   .filter((v) => v.trainable).map((v) => ({ name: v.path, variable: v.variable })));
 * const { grads } = tf.variableGrads(() => loss(), opt.variables());
 * opt.applyGradients(opt.params.map((p) => grads[p.variable.name]!), 1e-3);
 * tf.dispose(grads);
 * const saved = await opt.getState(); // JSON + Float32Arrays
 */
export class Optimizer {
  readonly spec: OptimizerSpec;
  readonly params: readonly OptimizerParam[];
  private readonly cfg: Resolved;
  private readonly slots = new Map<string, tf.Variable>();
  private stepCount = 0;
  private readonly paramSteps = new Map<string, number>();

  constructor(spec: OptimizerSpec, params: readonly OptimizerParam[]) {
    this.cfg = resolve(spec);
    this.spec = JSON.parse(JSON.stringify(spec)) as OptimizerSpec;
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.name)) throw new TrainConfigError(`Optimizer: parameter name "${p.name}" appears twice`);
      seen.add(p.name);
    }
    this.params = params.slice();
    for (const p of this.params) {
      this.paramSteps.set(p.name, 0);
      for (const slot of this.slotNames()) {
        const zeros = tf.zeros(p.variable.shape, 'float32');
        this.slots.set(`${p.name}/${slot}`, tf.variable(zeros, false));
        zeros.dispose();
      }
    }
  }

  /** Number of updates applied so far (Adam's bias-correction `t`). */
  get step(): number {
    return this.stepCount;
  }

  /** The variables, in parameter order (handy for `tf.variableGrads`). */
  variables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  private slotNames(): string[] {
    if (this.cfg.kind === 'sgd') return this.cfg.momentum > 0 ? ['momentum'] : [];
    return ['m', 'v'];
  }

  private slot(param: string, name: string): tf.Variable {
    return this.slots.get(`${param}/${name}`)!;
  }

  /**
   * Applies one update. `grads[i]` is the gradient of `params[i]` (same shape), or `null` when the
   * parameter took no part in the loss (a path the supernet did not sample): like PyTorch's
   * `grad is None`, that parameter and its slots are left untouched and its own step count (Adam's
   * bias correction) does not advance. The caller keeps ownership of the gradient tensors.
   * `lr` is the learning rate of this step.
   */
  applyGradients(grads: ReadonlyArray<tf.Tensor | null>, lr: number): void {
    if (grads.length !== this.params.length) {
      throw new TrainConfigError(`Optimizer.applyGradients: got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    if (!(Number.isFinite(lr) && lr >= 0)) throw new TrainConfigError(`Optimizer.applyGradients: lr is ${lr}, expected ≥ 0`);
    const c = this.cfg;
    this.params.forEach((p, i) => {
      const g = grads[i];
      const w = p.variable;
      if (g != null && (g.shape.length !== w.shape.length || g.shape.some((d, k) => d !== w.shape[k]))) {
        throw new TrainConfigError(
          `Optimizer.applyGradients: gradient of "${p.name}" has shape [${g.shape.join(',')}], expected [${w.shape.join(',')}]`,
        );
      }
    });
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const w = p.variable;
        let g = grads[i];
        if (g == null) return;
        const t = this.paramSteps.get(p.name)! + 1;
        this.paramSteps.set(p.name, t);
        if (g.shape.length !== w.shape.length || g.shape.some((d, k) => d !== w.shape[k])) {
          throw new TrainConfigError(
            `Optimizer.applyGradients: gradient of "${p.name}" has shape [${g.shape.join(',')}], expected [${w.shape.join(',')}]`,
          );
        }
        if (c.kind === 'sgd') {
          if (c.weightDecay > 0) g = tf.add(g, tf.mul(w, c.weightDecay));
          if (c.momentum > 0) {
            const buf = this.slot(p.name, 'momentum');
            const b = t === 1 ? g : tf.add(tf.mul(buf, c.momentum), g);
            buf.assign(b);
            g = c.nesterov ? tf.add(g, tf.mul(b, c.momentum)) : b;
          }
          w.assign(tf.sub(w, tf.mul(g, lr)));
          return;
        }
        let base: tf.Tensor = w;
        if (c.kind === 'adamw' && c.weightDecay > 0) base = tf.mul(w, 1 - lr * c.weightDecay);
        if (c.kind === 'adam' && c.weightDecay > 0) g = tf.add(g, tf.mul(w, c.weightDecay));
        const m = this.slot(p.name, 'm');
        const v = this.slot(p.name, 'v');
        const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1));
        const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
        m.assign(m1);
        v.assign(v1);
        const bc1 = 1 - Math.pow(c.beta1, t);
        const bc2 = 1 - Math.pow(c.beta2, t);
        const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), c.epsilon);
        w.assign(tf.sub(base, tf.mul(tf.div(m1, denom), lr / bc1)));
      });
    });
    this.stepCount += 1;
  }

  /** Copies the state out of the backend (see {@link OptimizerState}). */
  async getState(): Promise<OptimizerState> {
    const slots = [];
    for (const [name, v] of this.slots) {
      slots.push({ name, shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    }
    return {
      spec: JSON.parse(JSON.stringify(this.spec)) as OptimizerSpec,
      step: this.stepCount,
      paramSteps: Object.fromEntries(this.paramSteps),
      slots,
    };
  }

  /**
   * Throws {@link TrainConfigError} unless `state` fits this optimiser: same kind, every slot present
   * with its shape, a step count for every parameter. Changes nothing.
   */
  checkState(state: OptimizerState): void {
    if (state.spec?.kind !== this.spec.kind) {
      throw new TrainConfigError(`Optimizer.setState: state is for '${state.spec?.kind}', this optimiser is '${this.spec.kind}'`);
    }
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new TrainConfigError(`Optimizer.setState: step is ${state.step}, expected an integer ≥ 0`);
    }
    const given = new Map(state.slots.map((s) => [s.name, s]));
    for (const [name, v] of this.slots) {
      const s = given.get(name);
      if (s === undefined) throw new TrainConfigError(`Optimizer.setState: slot "${name}" is missing`);
      if (s.values.length !== v.size || s.shape.length !== v.shape.length || s.shape.some((d, k) => d !== v.shape[k])) {
        throw new TrainConfigError(
          `Optimizer.setState: slot "${name}" has shape [${s.shape.join(',')}], expected [${v.shape.join(',')}]`,
        );
      }
    }
    for (const name of given.keys()) {
      if (!this.slots.has(name)) throw new TrainConfigError(`Optimizer.setState: unexpected slot "${name}"`);
    }
    for (const p of this.params) {
      const t = state.paramSteps?.[p.name];
      if (!(Number.isInteger(t) && t! >= 0)) {
        throw new TrainConfigError(`Optimizer.setState: paramSteps["${p.name}"] is ${t}, expected an integer ≥ 0`);
      }
    }
  }

  /**
   * Restores a state taken by {@link getState} (checked first with {@link checkState}).
   */
  setState(state: OptimizerState): void {
    this.checkState(state);
    const given = new Map(state.slots.map((s) => [s.name, s]));
    for (const [name, v] of this.slots) {
      const s = given.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(s.values, v.shape, 'float32')));
    }
    for (const p of this.params) this.paramSteps.set(p.name, state.paramSteps[p.name]!);
    this.stepCount = state.step;
  }

  /** Disposes the slot variables (not the parameters). */
  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
