/**
 * @voxnas/browser-testing/page: helpers for code running inside the browser test page.
 */
export {
  tf,
  useBackend,
  backendInitMs,
  configuredBackend,
  webgpuAdapter,
  type AdapterSummary,
  type UseBackendOptions,
} from './backend.js';
export { runOn, compareBackends, relMaxDiff, type HostTensor, type BackendComparison } from './compare.js';
export { screenshot, record, resetRecord, takePageEvents, readArtifact } from './harness.js';
export type { PageEvents, ScreenshotInfo } from '../commands.js';
export { SeededRandom, normalArray } from './rng.js';
export type { BrowserBackend } from '../backends.js';
