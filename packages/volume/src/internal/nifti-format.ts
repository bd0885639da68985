/** NIfTI-1/2 layout constants shared by the reader and the writer. Internal. */
import type { DType } from '../volume.js';

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;
/** First data byte of a single-file image without extensions (header + 4 extension-flag bytes). */
export const NIFTI1_MIN_VOX_OFFSET = 352;
export const NIFTI2_MIN_VOX_OFFSET = 544;

export const NIFTI_INTENT_LABEL = 1002;

/** NIfTI datatype code → voxnas dtype, for the codes voxnas reads and writes. */
export const DATATYPE_TO_DTYPE: ReadonlyMap<number, DType> = new Map<number, DType>([
  [2, 'uint8'],
  [4, 'int16'],
  [8, 'int32'],
  [16, 'float32'],
  [64, 'float64'],
  [256, 'int8'],
  [512, 'uint16'],
  [768, 'uint32'],
]);

export const DTYPE_TO_DATATYPE: Readonly<Record<DType, number>> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Names of the NIfTI datatype codes voxnas rejects, for error messages. */
export const UNSUPPORTED_DATATYPES: ReadonlyMap<number, string> = new Map([
  [0, 'DT_UNKNOWN'],
  [1, 'DT_BINARY'],
  [32, 'DT_COMPLEX64'],
  [128, 'DT_RGB24'],
  [1024, 'DT_INT64'],
  [1280, 'DT_UINT64'],
  [1536, 'DT_FLOAT128'],
  [1792, 'DT_COMPLEX128'],
  [2048, 'DT_COMPLEX256'],
  [2304, 'DT_RGBA32'],
]);

/** Byte offsets of the NIfTI-1 fields the writer fills and the reader reads directly. */
export const N1 = {
  sizeofHdr: 0,
  dim: 40,
  intentP1: 56,
  intentCode: 68,
  datatype: 70,
  bitpix: 72,
  pixdim: 76,
  voxOffset: 108,
  sclSlope: 112,
  sclInter: 116,
  xyztUnits: 123,
  descrip: 148,
  qformCode: 252,
  sformCode: 254,
  quaternB: 256,
  qoffsetX: 268,
  srowX: 280,
  intentName: 328,
  magic: 344,
} as const;

/** Byte offsets of the NIfTI-2 fields. */
export const N2 = {
  sizeofHdr: 0,
  magic: 4,
  datatype: 12,
  bitpix: 14,
  dim: 16,
  pixdim: 104,
  voxOffset: 168,
  sclSlope: 176,
  sclInter: 184,
  descrip: 240,
  qformCode: 344,
  sformCode: 348,
  quaternB: 352,
  qoffsetX: 376,
  srowX: 400,
  xyztUnits: 500,
  intentCode: 504,
  intentName: 508,
} as const;

export const NIFTI2_MAGIC_TAIL = [0x0d, 0x0a, 0x1a, 0x0a];
