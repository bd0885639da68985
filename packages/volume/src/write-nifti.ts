import { gzipSync } from 'fflate';
import { InvalidArgumentError } from '@voxnas/core';
import {
  DTYPE_BYTES,
  DTYPE_TO_DATATYPE,
  N1,
  N2,
  NIFTI1_HEADER_SIZE,
  NIFTI1_MIN_VOX_OFFSET,
  NIFTI2_HEADER_SIZE,
  NIFTI2_MAGIC_TAIL,
  NIFTI2_MIN_VOX_OFFSET,
  NIFTI_INTENT_LABEL,
} from './internal/nifti-format.js';
import { affineToQform } from './internal/quaternion.js';
import { createVolume, dtypeOf } from './volume.js';
import type { Volume } from './volume.js';

/** Options of {@link writeNifti} and {@link encodeNifti}. */
export interface WriteNiftiOptions {
  /** NIfTI-1 (default; affine stored as float32) or NIfTI-2 (affine stored as float64). */
  version?: 1 | 2;
  /** gzip the output. `writeNifti` default: true when the path ends in `.gz`; `encodeNifti` default: false. */
  gzip?: boolean;
  /** zlib level 0–9 (default 1, like nibabel: the fastest; higher levels shrink images only a little). */
  gzipLevel?: number;
  /** `descrip` field (≤ 79 ASCII chars; default 'voxnas'). */
  description?: string;
  /** sform_code and qform_code (default 2, NIFTI_XFORM_ALIGNED_ANAT). */
  xformCode?: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Builds the header (including the 4 extension-flag bytes) of `volume`: little-endian, vox_offset right
 * after the header, sform = the affine exactly (to float32 for NIfTI-1), qform = the same affine as
 * quaternion + pixdim + qfac like nibabel `set_qform` (for a sheared affine the qform is the nearest
 * rotation and only the sform is exact), both with code 2; intent 1002 for label maps; scl 1/0.
 *
 * @example
 * const hdr = encodeNiftiHeader(vol); // 352 bytes; encodeNifti(vol) = hdr followed by the voxel bytes
 */
export function encodeNiftiHeader(volume: Volume, options: WriteNiftiOptions = {}): Uint8Array {
  const v = checkVolume(volume);
  const version = options.version ?? 1;
  if (version !== 1 && version !== 2)
    throw new InvalidArgumentError(`encodeNifti: version is ${String(version)}, expected 1 or 2`);
  const code = options.xformCode ?? 2;
  if (!Number.isInteger(code) || code < 1 || code > 5) {
    throw new InvalidArgumentError(`encodeNifti: xformCode is ${code}, expected an integer 1..5`);
  }
  const descrip = options.description ?? 'voxnas';
  if (!/^[\x20-\x7e]{0,79}$/.test(descrip)) {
    throw new InvalidArgumentError(
      `encodeNifti: description must be ≤ 79 printable ASCII characters, got ${JSON.stringify(descrip)}`,
    );
  }
  const dtype = dtypeOf(v.data)!;
  const datatype = DTYPE_TO_DATATYPE[dtype];
  const bitpix = DTYPE_BYTES[dtype] * 8;
  const dims = [v.channels > 1 ? 4 : 3, v.shape[0], v.shape[1], v.shape[2], v.channels, 1, 1, 1];
  const q = affineToQform(v.affine);
  const pixdim = [q.qfac, q.zooms[0], q.zooms[1], q.zooms[2], 1, 1, 1, 1];
  const a = v.affine;
  const intent = v.kind === 'label' ? NIFTI_INTENT_LABEL : 0;
  const le = true;

  if (version === 1) {
    const buf = new Uint8Array(NIFTI1_MIN_VOX_OFFSET);
    const dv = new DataView(buf.buffer);
    dv.setInt32(0, NIFTI1_HEADER_SIZE, le);
    for (let i = 0; i < 8; i++) {
      if (dims[i]! > 32767)
        throw new InvalidArgumentError(
          `encodeNifti: dimension ${dims[i]} exceeds NIfTI-1's 32767; use version 2`,
        );
      dv.setInt16(N1.dim + 2 * i, dims[i]!, le);
    }
    dv.setInt16(N1.intentCode, intent, le);
    dv.setInt16(N1.datatype, datatype, le);
    dv.setInt16(N1.bitpix, bitpix, le);
    for (let i = 0; i < 8; i++) dv.setFloat32(N1.pixdim + 4 * i, pixdim[i]!, le);
    dv.setFloat32(N1.voxOffset, NIFTI1_MIN_VOX_OFFSET, le);
    dv.setFloat32(N1.sclSlope, 1, le);
    dv.setFloat32(N1.sclInter, 0, le);
    buf[N1.xyztUnits] = 2; // NIFTI_UNITS_MM
    writeAscii(buf, N1.descrip, descrip);
    dv.setInt16(N1.qformCode, code, le);
    dv.setInt16(N1.sformCode, code, le);
    for (let i = 0; i < 3; i++) dv.setFloat32(N1.quaternB + 4 * i, q.quatern[i]!, le);
    for (let i = 0; i < 3; i++) dv.setFloat32(N1.qoffsetX + 4 * i, q.qoffset[i]!, le);
    for (let i = 0; i < 12; i++) dv.setFloat32(N1.srowX + 4 * i, a[i]!, le);
    writeAscii(buf, N1.magic, 'n+1');
    return buf;
  }
  const buf = new Uint8Array(NIFTI2_MIN_VOX_OFFSET);
  const dv = new DataView(buf.buffer);
  dv.setInt32(0, NIFTI2_HEADER_SIZE, le);
  writeAscii(buf, N2.magic, 'n+2');
  for (let i = 0; i < 4; i++) buf[N2.magic + 4 + i] = NIFTI2_MAGIC_TAIL[i]!;
  dv.setInt16(N2.datatype, datatype, le);
  dv.setInt16(N2.bitpix, bitpix, le);
  for (let i = 0; i < 8; i++) dv.setBigInt64(N2.dim + 8 * i, BigInt(dims[i]!), le);
  for (let i = 0; i < 8; i++) dv.setFloat64(N2.pixdim + 8 * i, pixdim[i]!, le);
  dv.setBigInt64(N2.voxOffset, BigInt(NIFTI2_MIN_VOX_OFFSET), le);
  dv.setFloat64(N2.sclSlope, 1, le);
  dv.setFloat64(N2.sclInter, 0, le);
  writeAscii(buf, N2.descrip, descrip);
  dv.setInt32(N2.qformCode, code, le);
  dv.setInt32(N2.sformCode, code, le);
  for (let i = 0; i < 3; i++) dv.setFloat64(N2.quaternB + 8 * i, q.quatern[i]!, le);
  for (let i = 0; i < 3; i++) dv.setFloat64(N2.qoffsetX + 8 * i, q.qoffset[i]!, le);
  for (let i = 0; i < 12; i++) dv.setFloat64(N2.srowX + 8 * i, a[i]!, le);
  dv.setInt32(N2.xyztUnits, 2, le);
  dv.setInt32(N2.intentCode, intent, le);
  return buf;
}

/**
 * Encodes `volume` as the bytes of a `.nii` (or, with `gzip: true`, a `.nii.gz`). See {@link writeNifti}.
 *
 * @example
 * const bytes = encodeNifti(createVolume({ data: new Int16Array(5 * 6 * 7), shape: [5, 6, 7] }));
 * bytes.length; // 352 + 420
 */
export function encodeNifti(volume: Volume, options: WriteNiftiOptions = {}): Uint8Array {
  const { header, body } = encodeNiftiParts(volume, options);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  if (!options.gzip) return out;
  return gzipSync(out, { level: checkLevel(options.gzipLevel) as 0 });
}

/**
 * The two parts of a `.nii`: the header (with the 4 extension-flag bytes) and the voxel bytes, the latter
 * a view of `volume.data` (no copy) on a little-endian host. For writers that stream the parts (e.g. a
 * gzip stream to a file) instead of building one buffer. Validates `volume` and `options.gzipLevel`.
 *
 * @example
 * const { header, body } = encodeNiftiParts(vol); // header.length === 352
 */
export function encodeNiftiParts(volume: Volume, options: WriteNiftiOptions = {}): { header: Uint8Array; body: Uint8Array } {
  checkLevel(options.gzipLevel);
  return { header: encodeNiftiHeader(volume, options), body: dataBytes(volume) };
}

function checkLevel(level: number | undefined): number {
  const l = level ?? 1;
  if (!Number.isInteger(l) || l < 0 || l > 9)
    throw new InvalidArgumentError(`writeNifti: gzipLevel is ${l}, expected an integer 0..9`);
  return l;
}

/** Re-validates shape, data length, affine and kind (createVolume's checks) without copying the data. */
function checkVolume(volume: Volume): Volume {
  return createVolume({
    data: volume.data,
    shape: volume.shape,
    channels: volume.channels,
    affine: volume.affine,
    kind: volume.kind,
  });
}

/** Little-endian bytes of the voxel data (a view when the host is little-endian). */
function dataBytes(volume: Volume): Uint8Array {
  const d = volume.data;
  const view = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  if (HOST_LITTLE_ENDIAN || d.BYTES_PER_ELEMENT === 1) return view;
  const out = view.slice();
  const s = d.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += s) out.subarray(i, i + s).reverse();
  return out;
}

function writeAscii(buf: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
}
