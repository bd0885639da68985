/**
 * `checkGradients` of @voxnas/ops/testing with asynchronous reads: the same directional central
 * differences, tolerances and ε ladder, but every value comes back through `await tensor.data()`,
 * because tfjs 4.22's synchronous WebGPU read-back returns zeros in headless Chromium (a gradient
 * check built on `dataSync` passes vacuously there: 0 = 0).
 */
import { Rng } from '@voxnas/core';
import type { GradientCheckOptions, GradientCheckResult, DirectionalCheck } from '@voxnas/ops/testing';
import { tf } from '../page/index.js';

async function read(t: tf.Tensor): Promise<Float32Array> {
  return new Float32Array(await t.data());
}

/**
 * Checks analytic gradients of `f` against central differences (see `checkGradients`): loss
 * L = Σ f(inputs)·r with fixed random r; for random directions v over every input and variable,
 * ⟨∇L, v⟩ against (L(θ+εv) − L(θ−εv)) / 2ε at ε, ε/10, ε/100; the finite-difference loss summed in
 * float64 from f's float32 output. Defaults as there: ε 1e-3, rtol 2e-2, atol 2e-3 (× max(1, |L|)).
 *
 * @example
 * const r = await checkGradientsAsync((x) => op.forward(x as tf.Tensor5D), [x], { variables: op.trainableVariables() });
 * expect(r.ok, r.report).toBe(true);
 */
export async function checkGradientsAsync(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  options: GradientCheckOptions = {},
): Promise<GradientCheckResult> {
  const rng = options.rng ?? new Rng(12345);
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const inputVars = inputs.map((x) => tf.variable(x, true));
  const variables = [...inputVars, ...(options.variables ?? [])];
  const originals = await Promise.all(variables.map(async (v) => Float64Array.from(await read(v))));
  const outShape = tf.tidy(() => f(...inputVars).shape);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const rValues = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) rValues[i] = rng.normal();
  const r = tf.tensor(rValues, outShape);
  const loss = (): tf.Scalar => tf.sum(tf.mul(f(...inputVars), r));
  const lossValue = async (): Promise<number> => {
    const y = tf.tidy(() => f(...inputVars));
    const values = await read(y);
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
    const gradValues = await Promise.all(grads.map(async (g) => Float64Array.from(await read(g))));
    tf.dispose(grads);
    const scale = Math.max(1, Math.abs(await lossValue()));
    const checks: DirectionalCheck[] = [];
    for (let k = 0; k < (options.directions ?? 3); k++) {
      const dirs = originals.map((o) => Float64Array.from(o, () => rng.normal()));
      let analytic = 0;
      dirs.forEach((d, i) => d.forEach((dv, j) => (analytic += dv * gradValues[i]![j]!)));
      let numeric = NaN;
      let ok = false;
      for (const step of [eps, eps / 10, eps / 100]) {
        setValues(originals.map((o, i) => o.map((x, j) => x + step * dirs[i]![j]!)));
        const plus = await lossValue();
        setValues(originals.map((o, i) => o.map((x, j) => x - step * dirs[i]![j]!)));
        const minus = await lossValue();
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
