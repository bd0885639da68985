import { WebGpuReadSyncError } from './errors.js';

interface TensorData {
  values?: unknown;
  dtype: string;
  shape: number[];
}

interface BackendWithTensorMap {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): TensorData | undefined };
}

const GUARDED = Symbol.for('voxnas.webgpuReadSyncGuarded');

/**
 * Makes synchronous reads of GPU-only data on a tfjs WebGPU backend throw
 * {@link WebGpuReadSyncError} instead of returning what tfjs 4.22's canvas read-back returns
 * (zeros, in headless Chromium on SwiftShader, and a broken upload path after a few reads). Values
 * already on the CPU — freshly created tensors, or any tensor after `await tensor.data()` — still
 * read synchronously. `initBackend({ backend: 'webgpu' })` of @voxnas/ops installs it; idempotent.
 * Returns false when `backend` is not a tfjs WebGPU backend.
 *
 * @example
 * guardReadSync(tf.backend());
 * await alpha.data(); // cache on the CPU
 * alpha.dataSync(); // fine now
 */
export function guardReadSync(backend: unknown): boolean {
  const b = backend as Partial<BackendWithTensorMap> & { [GUARDED]?: boolean };
  if (typeof b?.readSync !== 'function' || typeof b.tensorMap?.get !== 'function') return false;
  if (b[GUARDED]) return true;
  const original = b.readSync.bind(b);
  const map = b.tensorMap;
  b.readSync = (dataId: object) => {
    const data = map.get(dataId);
    if (data !== undefined && data.values == null && data.dtype !== 'string') {
      throw new WebGpuReadSyncError(
        `dataSync()/arraySync() of a ${data.dtype} [${data.shape.join(', ')}] tensor held on the GPU: tfjs's synchronous WebGPU read-back is unreliable (zeros in headless Chromium); call \`await tensor.data()\` first`,
      );
    }
    return original(dataId);
  };
  b[GUARDED] = true;
  return true;
}
