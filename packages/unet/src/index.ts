export { UNET_PRESETS, UNet } from './unet.js';
export type { UNetConfig, UNetNorm, UNetOptions, UNetUpsampling } from './unet.js';
