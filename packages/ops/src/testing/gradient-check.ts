import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { Rng } from '@voxnas/core';

/** Options of `checkGradients`. */
export interface GradientCheckOptions {
  /** Variables (module parameters) differentiated besides the inputs. */
  readonly variables?: readonly tf.Variable[];
  /** Draws the output weights and the directions. Default `new Rng(12345)`. */
  readonly rng?: Rng;
  /** Largest central-difference step (then ε/10, ε/100). Default 1e-3. */
  readonly eps?: number;
  /** Relative tolerance on each directional derivative. Default 2e-2. */
  readonly rtol?: number;
  /** Absolute tolerance, in units of the loss scale. Default 2e-3. */
  readonly atol?: number;
  /** Number of random directions. Default 3. */
  readonly directions?: number;
}

/** One direction of a gradient check. */
export interface DirectionalCheck {
  /** ⟨∇L, v⟩ from the analytic gradients. */
  readonly analytic: number;
  /** (L(θ + εv) − L(θ − εv)) / 2ε at the step that agreed best. */
  readonly numeric: number;
  readonly ok: boolean;
}

/** Result of `checkGradients`. */
export interface GradientCheckResult {
  readonly ok: boolean;
  readonly checks: readonly DirectionalCheck[];
  /** Human-readable summary (used in assertion messages). */
  readonly report: string;
}

/**
 * Checks analytic gradients against central differences, in float32, with directional derivatives:
 * the loss is L = Σ f(inputs)·r for fixed random weights r, and for random directions v over every
 * input and variable it compares ⟨∇L, v⟩ with (L(θ+εv) − L(θ−εv)) / 2ε. Inputs and variables are
 * restored afterwards. The finite-difference loss is summed in float64. A direction passes when the
 * difference agrees at ε, ε/10 or ε/100 (a kink of ReLU or max inside ±ε spoils one step, but a wrong
 * gradient disagrees at all three).
 *
 * @example
 * const res = checkGradients((x, w) => conv3d(x as tf.Tensor5D, w as tf.Tensor5D, { dilation: 2 }), [x, w]);
 * if (!res.ok) throw new Error(res.report);
 */
export function checkGradients(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const rng = options.rng ?? new Rng(12345);
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const inputVars = inputs.map((x) => tf.variable(x, true));
  const variables = [...inputVars, ...(options.variables ?? [])];
  const originals = variables.map((v) => Float64Array.from(v.dataSync()));
  const outShape = tf.tidy(() => f(...inputVars).shape);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const rValues = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) rValues[i] = rng.normal();
  const r = tf.tensor(rValues, outShape);
  const loss = (): tf.Scalar => tf.sum(tf.mul(f(...inputVars), r));
  // The finite-difference loss is accumulated in float64 from f's float32 output: a float32 sum of
  // thousands of terms has rounding noise that, divided by 2ε, would swamp the derivative.
  const lossValue = (): number => {
    const y = tf.tidy(() => f(...inputVars));
    const values = y.dataSync();
    y.dispose();
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]! * rValues[i]!;
    return sum;
  };
  const setValues = (vals: readonly Float64Array[]) => {
    variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(Float32Array.from(vals[i]!), v.shape, 'float32'))));
  };
  try {
    const grads = tf.tidy(() => {
      const { value, grads: g } = tf.variableGrads(loss, variables);
      value.dispose();
      return variables.map((v) => g[v.name]!);
    });
    const gradValues = grads.map((g) => Float64Array.from(g.dataSync()));
    tf.dispose(grads);
    const scale = Math.max(1, Math.abs(lossValue()));
    const checks: DirectionalCheck[] = [];
    for (let k = 0; k < (options.directions ?? 3); k++) {
      const dirs = originals.map((o) => Float64Array.from(o, () => rng.normal()));
      let analytic = 0;
      dirs.forEach((d, i) => d.forEach((dv, j) => (analytic += dv * gradValues[i]![j]!)));
      // A ReLU/max kink inside ±ε spoils a central difference; a correct gradient then still matches
      // at a smaller ε, a wrong one at none. So each direction tries ε, ε/10, ε/100.
      let numeric = NaN;
      let ok = false;
      for (const step of [eps, eps / 10, eps / 100]) {
        setValues(originals.map((o, i) => o.map((x, j) => x + step * dirs[i]![j]!)));
        const plus = lossValue();
        setValues(originals.map((o, i) => o.map((x, j) => x - step * dirs[i]![j]!)));
        const minus = lossValue();
        setValues(originals);
        const estimate = (plus - minus) / (2 * step);
        const pass = Math.abs(estimate - analytic) <= atol * scale + rtol * Math.max(Math.abs(estimate), Math.abs(analytic));
        if (Number.isNaN(numeric) || Math.abs(estimate - analytic) < Math.abs(numeric - analytic)) numeric = estimate;
        if (pass) {
          ok = true;
          break;
        }
      }
      checks.push({ analytic, numeric, ok });
    }
    const ok = checks.every((c) => c.ok);
    const report =
      `gradient check ${ok ? 'passed' : 'FAILED'} (eps ${eps}, rtol ${rtol}, atol ${atol}·${scale.toPrecision(3)}): ` +
      checks.map((c) => `analytic ${c.analytic.toPrecision(6)} vs numeric ${c.numeric.toPrecision(6)}${c.ok ? '' : ' ✗'}`).join('; ');
    return { ok, checks, report };
  } finally {
    setValues(originals);
    r.dispose();
    inputVars.forEach((v) => v.dispose());
  }
}
