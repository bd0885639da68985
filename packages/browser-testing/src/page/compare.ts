/** Run the same tfjs computation on several backends in one page and compare the results. */
import type { BrowserBackend } from '../backends.js';
import { tf, useBackend } from './backend.js';

type Outputs = tf.Tensor | tf.Tensor[];

/** Inputs given as plain arrays so every backend builds its own tensors from identical bytes. */
export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

/** Runs `fn` on `backend`, reads every output back, disposes everything; returns the values. */
export async function runOn(
  backend: BrowserBackend,
  inputs: HostTensor[],
  fn: (...xs: tf.Tensor[]) => Outputs,
): Promise<Float32Array[]> {
  await useBackend(backend);
  const xs = inputs.map((h) => tf.tensor(h.values, h.shape, 'float32'));
  try {
    const out = tf.tidy(() => fn(...xs));
    const list = Array.isArray(out) ? out : [out];
    try {
      return await Promise.all(list.map(async (t) => new Float32Array(await t.data())));
    } finally {
      tf.dispose(list);
    }
  } finally {
    tf.dispose(xs);
  }
}

/** max |a - b| / max |b| (0 when both are all zeros; Infinity on NaN or length mismatch). */
export function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) return Infinity;
    if (d > num) num = d;
    if (Math.abs(y) > den) den = Math.abs(y);
  }
  if (num === 0) return 0;
  return den === 0 ? Infinity : num / den;
}

export interface BackendComparison {
  /** One relMaxDiff per output, `backend` against `reference`. */
  relDiffs: number[];
  /** max |value| of each reference output. */
  maxAbs: number[];
  /** Largest of relDiffs. */
  worst: number;
}

/** Runs `fn` on `backend` and on `reference` (default cpu) with the same inputs and compares outputs. */
export async function compareBackends(
  inputs: HostTensor[],
  fn: (...xs: tf.Tensor[]) => Outputs,
  { backend = 'webgpu', reference = 'cpu' }: { backend?: BrowserBackend; reference?: BrowserBackend } = {},
): Promise<BackendComparison> {
  const ref = await runOn(reference, inputs, fn);
  const got = await runOn(backend, inputs, fn);
  if (ref.length !== got.length) throw new Error(`output count ${got.length} vs ${ref.length}`);
  const relDiffs = got.map((g, i) => relMaxDiff(g, ref[i]!));
  const maxAbs = ref.map((r) => r.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  return { relDiffs, maxAbs, worst: Math.max(...relDiffs) };
}
