export { fastKernelStatus, registerFastKernels, unregisterFastKernels, registerFastAtImport } from './register.js';
export type { FastKernelStatus } from './register.js';
