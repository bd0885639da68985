export { UNET_NORMS, UNET_PRESETS, UNET_RECOMPUTE_MODES, UNET_UPSAMPLINGS, UNet } from './unet.js';
export type { UNetConfig, UNetNorm, UNetOptions, UNetRecompute, UNetUpsampling } from './unet.js';
export { estimateUNetStepMemory } from './memory-estimate.js';
export type { UNetMemoryOptions } from './memory-estimate.js';
