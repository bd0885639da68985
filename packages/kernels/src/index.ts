// Importing this package registers nothing: call registerNativeKernels() / registerFastKernels()
// (initBackend of @voxnas/ops does both).
export {
  nativeStatus,
  registerNativeKernels,
  unregisterNativeKernels,
  setNativeThreads,
  diagnoseNative,
} from './native-kernels.js';
export type { NativeStatus } from './native-kernels.js';
export type { NativeDiagnosis, NativeDiagnosisState } from './internal/addon.js';
export { registerConv3dGradient, conv3dGradConfig } from './conv3d-gradient.js';
export { InvalidArgumentError } from './errors.js';

// Typed-array replacements for tfjs-cpu's broadcasting, reduction and copy kernels (src/fast).
export { fastKernelStatus, registerFastKernels, unregisterFastKernels } from './fast/index.js';
export type { FastKernelStatus } from './fast/index.js';

