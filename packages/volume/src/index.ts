export { NiftiFormatError, GeometryError } from './errors.js';
export {
  DTYPES,
  allocData,
  dtypeOf,
  voxelCount,
  identityAffine,
  createVolume,
  validateAffine,
  spacingMm,
} from './volume.js';
export type { DType, DTypeArrays, Affine, Volume, VolumeKind, CreateVolumeOptions } from './volume.js';
export { decodeNifti, isGzip } from './nifti-decode.js';
export type { NiftiHeader, NiftiReadResult, ReadNiftiOptions, DecodeNiftiOptions } from './nifti-decode.js';
export { encodeNifti, encodeNiftiHeader, encodeNiftiParts } from './write-nifti.js';
export type { WriteNiftiOptions } from './write-nifti.js';
export { orientationCode, axisOrientations, reorient, reorientMatrix } from './orientation.js';
export type { AxisOrientation } from './orientation.js';
export { resample, resampleTo, resampleGrid } from './resample.js';
export type { Interpolation, AxisInterpolation, ResampleOptions, ResampleGridOptions } from './resample.js';
export { resampleLabels } from './resample-labels.js';
export type { ResampleLabelsOptions } from './resample-labels.js';
export { nonZeroMask } from './non-zero-mask.js';
export type { NonZeroMaskOptions } from './non-zero-mask.js';
export { componentSizes } from './component-sizes.js';
export { boundingBox, crop, cropToForeground } from './crop.js';
export type { Box, CropToForegroundOptions } from './crop.js';
export { padOrCrop, padToMultiple, centredOffset } from './pad.js';
export type { PadOrCropOptions, PadToMultipleOptions } from './pad.js';
// Data pipeline: augmentation and patch sampling (datasets and the loader are in @voxnas/datasets).
export { createSubject, compose, mapVolumes } from './transforms/subject.js';
export type { Subject, Transform, TransformStep } from './transforms/subject.js';
export { replay, invert } from './transforms/replay.js';
export type { TransformOps } from './transforms/replay.js';
export { flip, randomFlip } from './transforms/flip.js';
export type { FlipParams } from './transforms/flip.js';
export { rot90, randomRot90 } from './transforms/rot90.js';
export type { Rot90Params } from './transforms/rot90.js';
export { spatial, randomSpatial } from './transforms/spatial.js';
export type { SpatialParams, SpatialGridOptions, RandomSpatialOptions } from './transforms/spatial.js';
export { gamma, randomGamma } from './transforms/gamma.js';
export type { GammaParams } from './transforms/gamma.js';
export { noise, randomNoise } from './transforms/noise.js';
export type { NoiseParams } from './transforms/noise.js';
export { blur, randomBlur } from './transforms/blur.js';
export type { BlurParams } from './transforms/blur.js';
export { brightnessContrast, randomBrightnessContrast } from './transforms/brightness-contrast.js';
export type { BrightnessContrastParams } from './transforms/brightness-contrast.js';
export { lowResolution, randomLowResolution } from './transforms/low-resolution.js';
export type { LowResolutionParams } from './transforms/low-resolution.js';
export { createLabelIndex } from './sampling/label-index.js';
export type { LabelIndex } from './sampling/label-index.js';
export {
  sampleUniformPatch,
  samplePatchContaining,
  sampleForegroundPatch,
  sampleClassBalancedPatches,
  foregroundFlags,
  allocateClasses,
} from './sampling/patch-sampler.js';
export type { PatchDraw } from './sampling/patch-sampler.js';
export { windowStarts, gridPatchStarts, extractPatch } from './sampling/grid.js';
export { createPatchAggregator, gaussianImportanceMap } from './sampling/aggregator.js';
export type { PatchAggregator } from './sampling/aggregator.js';
export { zScore } from './z-score.js';
export type { ZScoreOptions } from './z-score.js';
export { percentiles, clipPercentiles } from './percentiles.js';
export type { PercentileOptions } from './percentiles.js';
export { rescaleIntensity, windowCt } from './rescale-intensity.js';
export { normalizeChannels } from './normalize-channels.js';
export type { ChannelNormalization, NormalizeChannelsOptions } from './normalize-channels.js';
export type { RescaleIntensityOptions } from './rescale-intensity.js';
