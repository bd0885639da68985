/**
 * Test-only helpers: run a model in ONNX Runtime (onnxruntime-node, CPU, one thread) and compare an
 * emitter's graph with the voxnas primitive it stands for, run by tfjs on the same input in NDHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { expectNoLeaks, maxAbsDiff } from '@voxnas/testing';
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { createGraphBuilder, type GraphBuilder } from '../src/graph-builder.js';
import { NCDHW_TO_NDHWC, NDHWC_TO_NCDHW, type TensorData } from '../src/layout.js';

/** Runs `bytes` in ONNX Runtime and returns every output as float32 host tensors. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Readonly<Record<string, TensorData>>,
): Promise<Record<string, TensorData>> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds))
      inputs[name] = new ort.Tensor('float32', t.data, t.shape.slice());
    const outputs = await session.run(inputs);
    const result: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(outputs))
      result[name] = { data: t.data as Float32Array, shape: t.dims.slice() };
    return result;
  } finally {
    await session.release();
  }
}

/** Deterministic N(0, scale²) data of `shape`. */
export function randomData(shape: readonly number[], seed: number | string, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale);
}

/** A random voxnas-layout filter with He-like scale. */
export function randomFilter(shape: readonly number[], seed: number | string): TensorData {
  const fanIn = shape.slice(0, 4).reduce((a, b) => a * b, 1);
  return { data: randomData(shape, seed, Math.sqrt(2 / fanIn)), shape };
}

/** Measured agreement of one case, kept for the report. */
export interface Agreement {
  readonly title: string;
  readonly maxAbs: number;
  readonly range: number;
  readonly ratio: number;
}

export const agreements: Agreement[] = [];

/** Prints the measured agreements when VOXNAS_ONNX_REPORT is set (for the package README and reviews). */
export function reportAgreements(file: string): void {
  if (process.env.VOXNAS_ONNX_REPORT === undefined) return;
  const lines = agreements.map(
    (a) =>
      `${a.title.padEnd(60)} max|Δ| ${a.maxAbs.toExponential(2)}  range ${a.range.toFixed(3)}  ratio ${a.ratio.toExponential(2)}`,
  );
  console.log(`${file}\n${lines.join('\n')}`);
}

export interface CompareOptions {
  readonly title: string;
  /** NCDHW input shape fed to both; the graph input is declared ['N', C, 'D', 'H', 'W'] (dynamic). */
  readonly input: readonly [number, number, number, number, number];
  /** Emits the op under test on graph input `x`; returns the output name. */
  readonly emit: (b: GraphBuilder, x: string) => string;
  /** The voxnas reference on the NDHWC input; runs inside a tidy. */
  readonly reference: (x: tf.Tensor5D) => tf.Tensor;
  readonly opset?: number;
  readonly seed?: number | string;
  /** `'ndhwc'`: the model's output is NDHWC, compared with the reference as it is (default: NCDHW). */
  readonly outputLayout?: 'ncdhw' | 'ndhwc';
  /** Declare the graph input with the static shape (default: ['N', C, 'D', 'H', 'W']). */
  readonly staticShape?: boolean;
  /** Allowed max |Δ| relative to the reference output's range. Default 1e-4. */
  readonly tolerance?: number;
}

/** Builds a one-op model, runs it in ONNX Runtime and checks it against the tfjs reference. */
export async function compareWithVoxnas(options: CompareOptions): Promise<Agreement> {
  const b = createGraphBuilder({ opset: options.opset ?? 17 });
  const x = b.input('x', {
    dtype: 'float32',
    shape: options.staticShape ? options.input : ['N', options.input[1], 'D', 'H', 'W'],
  });
  const y = options.emit(b, x);
  b.output(y);
  const feed: TensorData = {
    data: randomData(options.input, options.seed ?? options.title),
    shape: options.input,
  };
  const onnx = (await runOnnx(b.toBytes(), { x: feed }))[y]!;
  const ref = await expectNoLeaks(async () => {
    const out = tf.tidy(() => {
      const xt = tf.transpose(tf.tensor5d(feed.data, [...options.input]), [...NCDHW_TO_NDHWC]);
      const r = options.reference(xt);
      return r.rank === 5 && options.outputLayout !== 'ndhwc' ? tf.transpose(r, [...NDHWC_TO_NCDHW]) : r;
    });
    const data = (await out.data()) as Float32Array;
    const shape = out.shape.slice();
    out.dispose();
    return { data, shape };
  });
  expect(onnx.shape).toEqual(ref.shape);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ref.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  const maxAbs = maxAbsDiff(onnx.data, ref.data);
  const agreement = { title: options.title, maxAbs, range, ratio: maxAbs / Math.max(range, 1e-12) };
  agreements.push(agreement);
  expect(range, `${options.title}: the reference output is constant`).toBeGreaterThan(0);
  expect(
    maxAbs,
    `${options.title}: max |onnx − tfjs| ${maxAbs} vs output range ${range}`,
  ).toBeLessThanOrEqual((options.tolerance ?? 1e-4) * range);
  return agreement;
}

/**
 * Runs an exported model (`image` → `logits`, NCDHW) in ONNX Runtime on each NCDHW input shape and
 * checks it against `module.apply` on the same data in NDHWC (tfjs), within `tolerance` of the logit
 * range. A module whose output is constant (the `zero` operator) must be matched exactly.
 */
export async function compareExport(options: {
  readonly title: string;
  readonly bytes: Uint8Array;
  readonly apply: (x: tf.Tensor5D) => tf.Tensor;
  readonly inputs: ReadonlyArray<readonly [number, number, number, number, number]>;
  readonly constant?: boolean;
  readonly tolerance?: number;
}): Promise<Agreement[]> {
  const out: Agreement[] = [];
  for (const shape of options.inputs) {
    const title = `${options.title} x=[${shape.join(',')}]`;
    const feed: TensorData = { data: randomData(shape, title), shape };
    const onnx = (await runOnnx(options.bytes, { image: feed })).logits!;
    const ref = await expectNoLeaks(async () => {
      const y = tf.tidy(() =>
        tf.transpose(options.apply(tf.transpose(tf.tensor5d(feed.data, [...shape]), [...NCDHW_TO_NDHWC])), [...NDHWC_TO_NCDHW]),
      );
      const data = (await y.data()) as Float32Array;
      const s = y.shape.slice();
      y.dispose();
      return { data, shape: s };
    });
    expect(onnx.shape, title).toEqual(ref.shape);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ref.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = hi - lo;
    const maxAbs = maxAbsDiff(onnx.data, ref.data);
    const agreement = { title, maxAbs, range, ratio: maxAbs / Math.max(range, 1e-12) };
    agreements.push(agreement);
    out.push(agreement);
    if (options.constant) {
      expect(maxAbs, `${title}: constant output`).toBe(0);
      continue;
    }
    expect(range, `${title}: the reference output is constant`).toBeGreaterThan(0);
    expect(maxAbs, `${title}: max |onnx − tfjs| ${maxAbs} vs logit range ${range}`).toBeLessThanOrEqual(
      (options.tolerance ?? 1e-4) * range,
    );
  }
  return out;
}
