import { VoxnasError } from '@voxnas/core';

/**
 * `dataSync()` / `arraySync()` of a tensor whose values live only on the GPU, on a WebGPU backend
 * guarded by {@link guardReadSync}: tfjs 4.22 reads such values back through an OffscreenCanvas
 * copy, which (measured in headless Chromium on SwiftShader) returns zeros and, after a few reads,
 * breaks every later upload. Read with `await tensor.data()` first (the values are then cached).
 *
 * @example
 * try { t.dataSync(); } catch (e) { if (e instanceof WebGpuReadSyncError) await t.data(); }
 */
export class WebGpuReadSyncError extends VoxnasError {
  constructor(message: string) {
    super('E_WEBGPU_READ_SYNC', message);
  }
}
