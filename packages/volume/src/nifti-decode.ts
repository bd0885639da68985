import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
import { InvalidArgumentError, determinant3 } from '@voxnas/core';
import { NiftiFormatError } from './errors.js';
import {
  DATATYPE_TO_DTYPE,
  DTYPE_BYTES,
  N1,
  N2,
  NIFTI1_HEADER_SIZE,
  NIFTI1_MIN_VOX_OFFSET,
  NIFTI2_HEADER_SIZE,
  NIFTI2_MAGIC_TAIL,
  NIFTI2_MIN_VOX_OFFSET,
  NIFTI_INTENT_LABEL,
  UNSUPPORTED_DATATYPES,
} from './internal/nifti-format.js';
import { gunzipChecked } from './internal/gunzip.js';
import { qformToAffine } from './internal/quaternion.js';
import { allocData, createVolume } from './volume.js';
import type { Affine, DType, DTypeArrays, Volume, VolumeKind } from './volume.js';

/**
 * The NIfTI header fields voxnas reads, in camelCase, plus the affines derived from them.
 * Extensions are skipped (not parsed, not preserved).
 */
export interface NiftiHeader {
  /** 1 for NIfTI-1 (348-byte header), 2 for NIfTI-2 (540-byte header). */
  readonly version: 1 | 2;
  /** Byte order of the file (header and data). */
  readonly littleEndian: boolean;
  /** 'single' for `.nii` (magic n+1 / n+2), 'pair' for `.hdr`/`.img` (magic ni1 / ni2). */
  readonly storage: 'single' | 'pair';
  /** dim[0..7] as stored. */
  readonly dim: readonly number[];
  /** NIfTI datatype code (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, 256 int8, 512 uint16, 768 uint32). */
  readonly datatype: number;
  readonly bitpix: number;
  /** pixdim[0..7] as stored (pixdim[0] is qfac). */
  readonly pixdim: readonly number[];
  /** Byte offset of the voxel data in the `.nii` (or `.img`) file, after any repair. */
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly description: string;
  readonly xyztUnits: number;
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  readonly quatern: readonly [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z. */
  readonly qoffset: readonly [number, number, number];
  /** The affine the qform fields encode (computed like nibabel `get_qform`), or null if they are invalid. */
  readonly qform: Affine | null;
  /** srow_x, srow_y, srow_z as a 4×4 affine (whatever sform_code says). */
  readonly sform: Affine;
  /** Which fields the volume's affine came from: sform when sform_code > 0, else qform when qform_code > 0, else pixdim. */
  readonly affineSource: 'sform' | 'qform' | 'pixdim';
}

/** What {@link readNiftiWithHeader} and {@link decodeNifti} return. */
export interface NiftiReadResult<D extends DType = DType> {
  readonly volume: Volume<D>;
  readonly header: NiftiHeader;
  /** Repairs made while reading (e.g. `scl_slope 0 → no scaling`), in plain sentences. Empty for a clean file. */
  readonly warnings: readonly string[];
}

/** Options of {@link readNifti}, {@link readNiftiWithHeader} and {@link decodeNifti}. */
export interface ReadNiftiOptions {
  /** Overrides the kind derived from the intent code (1002 NIFTI_INTENT_LABEL → 'label', else 'image'). */
  kind?: VolumeKind;
  /** Name used in error messages when reading bytes (default `<bytes>`); a path's base name otherwise. */
  name?: string;
}

/** Options of {@link decodeNifti}. */
export interface DecodeNiftiOptions extends ReadNiftiOptions {
  /** The `.img` bytes when `bytes` is the `.hdr` of a pair (either may be gzipped). */
  imageBytes?: Uint8Array;
}

/**
 * Decodes the (uncompressed or gzipped) bytes of a `.nii` file — or a `.hdr` plus `imageBytes` — synchronously.
 *
 * @throws NiftiFormatError as {@link readNifti}.
 * @example
 * const { volume } = decodeNifti(encodeNifti(vol));
 */
export function decodeNifti(bytes: Uint8Array, options: DecodeNiftiOptions = {}): NiftiReadResult {
  const name = options.name ?? '<bytes>';
  if (
    !(bytes instanceof Uint8Array) ||
    (options.imageBytes !== undefined && !(options.imageBytes instanceof Uint8Array))
  ) {
    throw new InvalidArgumentError(
      `decodeNifti(${name}): bytes and imageBytes must be Uint8Arrays, got ${describe(bytes)}`,
    );
  }
  const b = isGzip(bytes) ? gunzipSyncOrThrow(bytes, name) : bytes;
  let img = options.imageBytes;
  if (img && isGzip(img)) img = gunzipSyncOrThrow(img, name);
  return decodeUncompressed(b, { ...options, name, imageBytes: img });
}

function describe(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
}

/** Whether `bytes` start with the gzip magic number (1f 8b). */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function gunzipSyncOrThrow(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipChecked(bytes);
  } catch (e) {
    throw gzipError(e, name);
  }
}

function gzipError(e: unknown, name: string, path?: string): NiftiFormatError {
  const msg = e instanceof Error ? e.message : String(e);
  return new NiftiFormatError(
    `readNifti(${name}): corrupt gzip stream (${msg}), expected a complete gzip file`,
    {
      cause: e,
      file: path,
    },
  );
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decodeUncompressed(bytes: Uint8Array, options: DecodeNiftiOptions): NiftiReadResult {
  const name = options.name ?? '<bytes>';
  const where = `readNifti(${name})`;
  const fail = (msg: string): never => {
    throw new NiftiFormatError(`${where}: ${msg}`);
  };
  const warnings: string[] = [];

  if (bytes.length < 4)
    fail(`file is ${bytes.length} bytes, expected at least ${NIFTI1_HEADER_SIZE} for a NIfTI-1 header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getInt32(0, true);
  const be = dv.getInt32(0, false);
  let version: 1 | 2;
  let littleEndian: boolean;
  if (le === NIFTI1_HEADER_SIZE || be === NIFTI1_HEADER_SIZE) {
    version = 1;
    littleEndian = le === NIFTI1_HEADER_SIZE;
  } else if (le === NIFTI2_HEADER_SIZE || be === NIFTI2_HEADER_SIZE) {
    version = 2;
    littleEndian = le === NIFTI2_HEADER_SIZE;
  } else {
    return fail(`sizeof_hdr is ${le} (byte-swapped ${be}), expected 348 (NIfTI-1) or 540 (NIfTI-2)`);
  }
  const hsize = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (bytes.length < hsize)
    fail(
      `file is truncated: ${bytes.length} bytes, expected at least ${hsize} for the NIfTI-${version} header`,
    );

  // magic
  const magicAt = version === 1 ? N1.magic : N2.magic;
  const magic = String.fromCharCode(bytes[magicAt]!, bytes[magicAt + 1]!, bytes[magicAt + 2]!);
  const single = version === 1 ? 'n+1' : 'n+2';
  const pair = version === 1 ? 'ni1' : 'ni2';
  let storage: 'single' | 'pair';
  if (magic === single && bytes[magicAt + 3] === 0) storage = 'single';
  else if (magic === pair && bytes[magicAt + 3] === 0) storage = 'pair';
  else {
    const got = Array.from(bytes.subarray(magicAt, magicAt + 4), (c) =>
      c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`,
    ).join('');
    return fail(`magic is '${got}', expected '${single}\\0' (single file) or '${pair}\\0' (.hdr/.img pair)`);
  }
  if (version === 2) {
    for (let i = 0; i < 4; i++) {
      if (bytes[N2.magic + 4 + i] !== NIFTI2_MAGIC_TAIL[i]) {
        fail(`NIfTI-2 magic bytes 4..7 are damaged, expected 0d 0a 1a 0a`);
      }
    }
  }
  if (storage === 'single' && options.imageBytes) {
    fail(`magic is '${magic}' (single file) in the header of a .hdr/.img pair, expected '${pair}'`);
  }
  if (storage === 'pair' && !options.imageBytes) {
    fail(
      `header is a .hdr/.img pair (magic '${magic}') but no image data was given; read the .hdr path or pass imageBytes`,
    );
  }

  // Field parsing by nifti-reader-js (header bytes only, so its extension parser never runs).
  let nr: NIFTI1 | NIFTI2;
  try {
    nr = version === 1 ? new NIFTI1() : new NIFTI2();
    nr.readHeader(bytes.slice(0, hsize).buffer);
  } catch (e) {
    return fail(`header could not be parsed (${e instanceof Error ? e.message : String(e)})`);
  }
  const dim = Array.from(nr.dims, Number);
  const pixdim = Array.from(nr.pixDims, Number);

  // dims
  const ndim = dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) fail(`dim[0] is ${ndim}, expected 1..7`);
  for (let i = 1; i <= ndim; i++) {
    if (!(dim[i]! >= 1) || !Number.isSafeInteger(dim[i]!))
      fail(`dim[${i}] is ${dim[i]}, expected a positive integer`);
  }
  const d = (i: number) => (i <= ndim ? dim[i]! : 1);
  for (let i = 5; i <= 7; i++) {
    if (d(i) > 1)
      fail(`dim[${i}] is ${d(i)}, expected 1 (voxnas reads 3D images with channels in dim[4] only)`);
  }
  const shape: [number, number, number] = [d(1), d(2), d(3)];
  const channels = d(4);

  // datatype
  const datatype = Number(nr.datatypeCode);
  const dtype = DATATYPE_TO_DTYPE.get(datatype);
  if (!dtype) {
    const known = UNSUPPORTED_DATATYPES.get(datatype);
    return fail(
      `datatype ${datatype}${known ? ` (${known})` : ''} is not supported, expected one of 2 uint8, 256 int8, 512 uint16, 4 int16, 768 uint32, 8 int32, 16 float32, 64 float64`,
    );
  }
  const bpv = DTYPE_BYTES[dtype];
  const bitpix = Number(nr.numBitsPerVoxel);
  if (bitpix !== bpv * 8)
    warnings.push(
      `bitpix is ${bitpix} but datatype ${datatype} (${dtype}) has ${bpv * 8} bits; used the datatype`,
    );

  // vox_offset
  let voxOffset = Number(nr.vox_offset);
  const minOffset = version === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET;
  if (!Number.isFinite(voxOffset) || !Number.isInteger(voxOffset) || voxOffset < 0) {
    fail(`vox_offset is ${voxOffset}, expected a non-negative integer`);
  }
  if (storage === 'single') {
    if (voxOffset === 0) {
      voxOffset = minOffset;
      warnings.push(`vox_offset is 0 in a single-file NIfTI-${version}; used ${minOffset} (as nibabel does)`);
    } else if (voxOffset < minOffset) {
      fail(`vox_offset is ${voxOffset}, expected ≥ ${minOffset} for NIfTI-${version}`);
    }
  }
  const data = storage === 'single' ? bytes : options.imageBytes!;
  const count = shape[0] * shape[1] * shape[2] * channels;
  const nbytes = count * bpv;
  if (!Number.isSafeInteger(nbytes)) fail(`image of ${count} voxels is too large`);
  if (voxOffset > data.length) {
    fail(
      `vox_offset is ${voxOffset}, beyond the end of the ${storage === 'single' ? 'file' : '.img'} (${data.length} bytes)`,
    );
  }
  if (data.length - voxOffset < nbytes) {
    fail(
      `data is truncated: ${data.length - voxOffset} bytes after vox_offset ${voxOffset}, expected ${nbytes} for ${shape.join('×')}${channels > 1 ? `×${channels}` : ''} ${dtype}`,
    );
  }

  // scaling
  const rawSlope = Number(nr.scl_slope);
  const rawInter = Number(nr.scl_inter);
  let slope = 1;
  let inter = 0;
  if (rawSlope === 0 || !Number.isFinite(rawSlope)) {
    warnings.push(
      `scl_slope is ${rawSlope}: no scaling applied (NIfTI rule: a zero slope means unscaled data)`,
    );
  } else {
    if (!Number.isFinite(rawInter))
      fail(`scl_inter is ${rawInter} with scl_slope ${rawSlope}, expected a finite intercept`);
    slope = rawSlope;
    inter = rawInter;
  }

  // affine
  const fieldsAt = version === 1 ? N1 : N2;
  const srow = new Float64Array(16);
  for (let i = 0; i < 12; i++) {
    srow[i] =
      version === 1
        ? dv.getFloat32(fieldsAt.srowX + 4 * i, littleEndian)
        : dv.getFloat64(fieldsAt.srowX + 8 * i, littleEndian);
  }
  srow[15] = 1;
  const qformCode = Number(nr.qform_code);
  const sformCode = Number(nr.sform_code);
  const quatern: [number, number, number] = [
    Number(nr.quatern_b),
    Number(nr.quatern_c),
    Number(nr.quatern_d),
  ];
  const qoffset: [number, number, number] = [
    Number(nr.qoffset_x),
    Number(nr.qoffset_y),
    Number(nr.qoffset_z),
  ];
  const qform = computeQform(pixdim, quatern, qoffset, sformCode <= 0 && qformCode > 0 ? warnings : []);
  let affine: Float64Array;
  let affineSource: NiftiHeader['affineSource'];
  if (sformCode > 0) {
    affineSource = 'sform';
    affine = srow;
    for (let i = 0; i < 12; i++) {
      if (!Number.isFinite(srow[i]!)) {
        fail(
          `srow_${'xyz'[Math.floor(i / 4)]}[${i % 4}] is ${srow[i]} with sform_code ${sformCode}, expected a finite number`,
        );
      }
    }
  } else if (qformCode > 0) {
    affineSource = 'qform';
    if (!qform) {
      return fail(
        `qform (qform_code ${qformCode}) is invalid: quatern_b/c/d = ${quatern.join(', ')}, qoffset = ${qoffset.join(', ')}, expected finite values with b²+c²+d² ≤ 1`,
      );
    }
    affine = qform;
  } else {
    affineSource = 'pixdim';
    affine = baseAffine(shape, pixdim, warnings);
    warnings.push(
      'sform_code and qform_code are 0: affine built from pixdim (nibabel base affine: x flipped, centred)',
    );
  }

  // the same rule as createVolume/validateAffine (|det| > 1e-12), reported as a format error
  const det = determinant3(affine);
  if (!(Math.abs(det) > 1e-12) || !affine.every(Number.isFinite)) {
    const what = {
      sform: `sform (sform_code ${sformCode})`,
      qform: `qform (qform_code ${qformCode})`,
      pixdim: 'pixdim affine',
    }[affineSource];
    fail(`${what} is singular (det ${det}), expected an invertible 3×3 part`);
  }

  // data
  const raw = decodeData(data, voxOffset, count, dtype, littleEndian);
  let out: DTypeArrays[DType] = raw;
  if (slope !== 1 || inter !== 0) {
    const f = dtype === 'float64' ? new Float64Array(count) : new Float32Array(count);
    for (let i = 0; i < count; i++) f[i] = raw[i]! * slope + inter;
    out = f;
  }
  const intentCode = Number(nr.intent_code);
  const kind: VolumeKind = options.kind ?? (intentCode === NIFTI_INTENT_LABEL ? 'label' : 'image');
  let volume: Volume;
  try {
    volume = createVolume({ data: out, shape, channels, affine, kind });
  } catch (e) {
    return fail(`${e instanceof Error ? e.message : String(e)}`);
  }

  const header: NiftiHeader = Object.freeze({
    version,
    littleEndian,
    storage,
    dim: Object.freeze(dim),
    datatype,
    bitpix,
    pixdim: Object.freeze(pixdim),
    voxOffset,
    sclSlope: rawSlope,
    sclInter: rawInter,
    intentCode,
    intentName: String(nr.intent_name ?? ''),
    description: String(nr.description ?? ''),
    xyztUnits: Number(nr.xyzt_units),
    qformCode,
    sformCode,
    quatern,
    qoffset,
    qform,
    sform: srow,
    affineSource,
  });
  return { volume, header, warnings: Object.freeze(warnings) };
}

function computeQform(
  pixdim: readonly number[],
  quatern: [number, number, number],
  qoffset: [number, number, number],
  warnings: string[],
): Float64Array | null {
  if (![...quatern, ...qoffset].every(Number.isFinite)) return null;
  const p0 = pixdim[0]!;
  let qfac = 1;
  if (p0 === -1 || p0 === 1) qfac = p0;
  else {
    qfac = p0 < 0 ? -1 : 1;
    warnings.push(`pixdim[0] (qfac) is ${p0}, expected 1 or -1; used ${qfac}`);
  }
  const zooms: [number, number, number] = [1, 2, 3].map((i) => {
    const z = pixdim[i]!;
    if (!Number.isFinite(z) || z === 0) {
      warnings.push(`pixdim[${i}] is ${z}; used 1 (as nibabel does)`);
      return 1;
    }
    if (z < 0) {
      warnings.push(`pixdim[${i}] is ${z}; used ${-z} (as nibabel does)`);
      return -z;
    }
    return z;
  }) as [number, number, number];
  return qformToAffine({ quatern, qoffset, qfac, zooms }) ?? null;
}

/** nibabel's `shape_zoom_affine(shape, zooms, x_flip=True)`: centred, x flipped. */
function baseAffine(
  shape: [number, number, number],
  pixdim: readonly number[],
  warnings: string[],
): Float64Array {
  const zooms = [1, 2, 3].map((i) => {
    const z = pixdim[i]!;
    if (!Number.isFinite(z) || z <= 0) {
      warnings.push(`pixdim[${i}] is ${z}; used 1`);
      return 1;
    }
    return z;
  });
  zooms[0] = -zooms[0]!;
  const a = new Float64Array(16);
  for (let i = 0; i < 3; i++) {
    a[i * 5] = zooms[i]!;
    a[i * 4 + 3] = -((shape[i]! - 1) / 2) * zooms[i]!;
  }
  a[15] = 1;
  return a;
}

function decodeData(
  src: Uint8Array,
  offset: number,
  count: number,
  dtype: DType,
  littleEndian: boolean,
): DTypeArrays[DType] {
  const bpv = DTYPE_BYTES[dtype];
  const out = allocData(dtype, count);
  const ob = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  ob.set(src.subarray(offset, offset + count * bpv));
  if (bpv > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(ob, bpv);
  return out;
}

function swapBytes(b: Uint8Array, size: number): void {
  const n = b.length;
  if (size === 2) {
    for (let i = 0; i < n; i += 2) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
  } else if (size === 4) {
    for (let i = 0; i < n; i += 4) {
      const t0 = b[i]!;
      const t1 = b[i + 1]!;
      b[i] = b[i + 3]!;
      b[i + 1] = b[i + 2]!;
      b[i + 2] = t1;
      b[i + 3] = t0;
    }
  } else {
    for (let i = 0; i < n; i += 8) {
      for (let k = 0; k < 4; k++) {
        const t = b[i + k]!;
        b[i + k] = b[i + 7 - k]!;
        b[i + 7 - k] = t;
      }
    }
  }
}
