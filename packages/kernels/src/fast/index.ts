export { fastKernelStatus, registerFastKernels, unregisterFastKernels } from './register.js';
export type { FastKernelStatus } from './register.js';
