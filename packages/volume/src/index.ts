export { VoxnasError, NiftiFormatError, ShapeMismatchError, GeometryError, InvalidArgumentError } from './errors.js';
export { Rng, hashString } from './rng.js';
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
export { readNifti, readNiftiWithHeader, decodeNifti } from './read-nifti.js';
export type { NiftiHeader, NiftiReadResult, ReadNiftiOptions, DecodeNiftiOptions } from './read-nifti.js';
export { writeNifti, encodeNifti, encodeNiftiHeader } from './write-nifti.js';
export type { WriteNiftiOptions } from './write-nifti.js';
export { orientationCode, axisOrientations, reorient, reorientMatrix } from './orientation.js';
export type { AxisOrientation } from './orientation.js';
export { resample, resampleTo, resampleGrid } from './resample.js';
export type { Interpolation, ResampleOptions, ResampleGridOptions } from './resample.js';
export { boundingBox, crop, cropToForeground } from './crop.js';
export type { Box, CropToForegroundOptions } from './crop.js';
export { padOrCrop, padToMultiple, centredOffset } from './pad.js';
