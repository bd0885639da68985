// Node-only part of @voxnas/ops: weights as files, the GPU report. Everything else of the package is browser-safe.
export { saveWeights, loadWeights } from './weights-files.js';
export { gpuReport } from './gpu-report.js';
export type { GpuReport, GpuReportOptions, TfjsNodeGpuStatus } from './gpu-report.js';
