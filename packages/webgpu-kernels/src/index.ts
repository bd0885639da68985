export { planPad } from './pad-plan.js';
export type { PadStep } from './pad-plan.js';
export { rankSafePad } from './pad.js';
export { planStridedSlice, rankSafeStridedSlice } from './strided-slice.js';
export type { StridedSlicePlan } from './strided-slice.js';
export { registerWebGpuKernels, unregisterWebGpuKernels, webGpuKernelStatus } from './register.js';
export type { WebGpuKernelStatus } from './register.js';
export { guardReadSync } from './read-sync.js';
export { WebGpuReadSyncError } from './errors.js';
