import { registerAtImport } from './native-kernels.js';

export {
  nativeStatus,
  registerNativeKernels,
  unregisterNativeKernels,
  setNativeThreads,
} from './native-kernels.js';
export type { NativeStatus } from './native-kernels.js';
export { registerConv3dGradient, conv3dGradConfig } from './conv3d-gradient.js';
export { InvalidArgumentError } from './errors.js';

registerAtImport();
