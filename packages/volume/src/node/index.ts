// Node-only part of @voxnas/volume: NIfTI files by path. The main entry is browser-safe (in-memory
// decodeNifti / encodeNifti and everything else).
export { readNifti, readNiftiWithHeader } from './read-nifti.js';
export { writeNifti } from './write-nifti.js';
export { readNiftiBytes, onNiftiFileRead } from './read-nifti-bytes.js';
export type { NiftiFileRead } from './read-nifti-bytes.js';
