// An exported voxnas model (model.onnx from `voxnas export --format onnx`): its model card, read from
// metadata_props, and an ONNX Runtime Web session on WebGPU or WebAssembly.
import * as ort from 'onnxruntime-web/webgpu';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { readOnnxMetadata } from '@voxnas/onnx';
import { parsePlan, PlanError, preparationOf, type Preparation } from '@voxnas/datasets/preparation';
import type { HostPredictFn } from '@voxnas/train';
import { InputProblem } from './input-problem.js';

/** What the app needs from the model card (see the cli's `onnxMetadata`). */
export interface ModelInfo {
  readonly inputChannels: number;
  readonly classes: number;
  /** Label value → name. */
  readonly labels: Record<string, string>;
  /** Label value → [r, g, b]. */
  readonly colors: Record<string, [number, number, number]>;
  readonly orientation: string | null;
  readonly spacingMm: [number, number, number] | null;
  readonly normalization: string;
  /** Sliding-window size in voxels, x y z. */
  readonly patchSize: [number, number, number];
  readonly inference: { readonly overlap: number; readonly mirror: boolean; readonly windowsPerBatch: number };
  /** The training data's preparation (the model card's plan): reorient, crop, normalise, resample; null: per-case z-score. */
  readonly preparation: Preparation | null;
}

function field(meta: Record<string, string>, key: string, file: string): string {
  const v = meta[key];
  if (v === undefined) throw new InputProblem(`${file}: not a voxnas model — its metadata has no "${key}" (export it with voxnas export --format onnx)`);
  return v;
}

function json<T>(meta: Record<string, string>, key: string, file: string): T {
  const text = field(meta, key, file);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InputProblem(`${file}: metadata "${key}" is not valid JSON`);
  }
}

/** Reads the model card of an exported model from its ONNX metadata. */
export function readModelInfo(bytes: Uint8Array, file: string): ModelInfo {
  let meta: Record<string, string>;
  try {
    meta = readOnnxMetadata(bytes);
  } catch (e) {
    throw new InputProblem(`${file} is not an ONNX model: ${(e as Error).message}`);
  }
  const info: ModelInfo = {
    inputChannels: Number(field(meta, 'voxnas.input_channels', file)),
    classes: Number(field(meta, 'voxnas.classes', file)),
    labels: json(meta, 'voxnas.labels', file),
    colors: json(meta, 'voxnas.label_colors', file),
    orientation: field(meta, 'voxnas.orientation', file) || null,
    spacingMm: json(meta, 'voxnas.spacing_mm', file),
    normalization: field(meta, 'voxnas.normalization', file),
    patchSize: json(meta, 'voxnas.patch_size', file),
    inference: json(meta, 'voxnas.inference', file),
    preparation: preparationIn(json<{ preprocessing?: { plan?: unknown } }>(meta, 'voxnas.model_card', file), file),
  };
  return info;
}

/** The plan in a model card, validated; null for a card without one (then per-case z-score, as `voxnas predict` does). */
function preparationIn(card: { preprocessing?: { plan?: unknown } }, file: string): Preparation | null {
  const plan = card.preprocessing?.plan;
  if (plan === undefined || plan === null) return null;
  try {
    return preparationOf(parsePlan(plan, `${file} model card preprocessing.plan`));
  } catch (e) {
    if (e instanceof PlanError) throw new InputProblem(e.message);
    throw e;
  }
}

export type Backend = 'webgpu' | 'wasm';

/** WebGPU when the browser offers an adapter, else WebAssembly; `asked` forces one. */
export async function chooseBackend(asked: 'auto' | Backend): Promise<{ backend: Backend; note: string }> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (asked === 'wasm') return { backend: 'wasm', note: 'WebAssembly (chosen)' };
  if (adapter !== null) return { backend: 'webgpu', note: 'WebGPU' };
  if (asked === 'webgpu') throw new InputProblem('WebGPU is not available in this browser (no adapter); choose WebAssembly');
  return { backend: 'wasm', note: 'WebAssembly (no WebGPU adapter)' };
}

/** An inference session plus the sliding-window forward pass on host arrays (NDHWC in and out). */
export async function createSession(bytes: Uint8Array, backend: Backend): Promise<{ session: ort.InferenceSession; predict: HostPredictFn }> {
  // Served from this origin (bundled by Vite), never from a CDN.
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, location.href).href };
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: the node-placement notice is a warning, not a failure
  });
  const predict: HostPredictFn = async (input, [b, d, h, w, c]) => {
    const x = new ort.Tensor('float32', ndhwcToNcdhw(input, b, d * h * w, c), [b, c, d, h, w]);
    const out = await session.run({ image: x });
    x.dispose();
    const logits = out.logits!;
    const k = logits.dims[1]!;
    const data = ncdhwToNdhwc((await logits.getData()) as Float32Array, b, d * h * w, k);
    logits.dispose();
    return { data, shape: [b, d, h, w, k] };
  };
  return { session, predict };
}

function ndhwcToNcdhw(x: Float32Array, n: number, voxels: number, c: number): Float32Array {
  if (c === 1) return x;
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    const o = b * voxels * c;
    for (let v = 0; v < voxels; v++) for (let k = 0; k < c; k++) out[o + k * voxels + v] = x[o + v * c + k]!;
  }
  return out;
}

function ncdhwToNdhwc(x: Float32Array, n: number, voxels: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    const o = b * voxels * c;
    for (let k = 0; k < c; k++) for (let v = 0; v < voxels; v++) out[o + v * c + k] = x[o + k * voxels + v]!;
  }
  return out;
}
