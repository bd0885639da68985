/**
 * Minimal NIfTI-1 (.nii) writer for test fixtures only (plastimatch reads them). Writes a 348-byte
 * little-endian header, a 4-byte empty extension, then the data; geometry in the sform (code 1),
 * qform code 0. Not exported: @voxnas/volume owns the real reader/writer.
 */
import { writeFileSync } from 'node:fs';

const DT: Record<string, [code: number, bits: number]> = {
  Uint8Array: [2, 8],
  Int16Array: [4, 16],
  Int32Array: [8, 32],
  Float32Array: [16, 32],
};

export function writeNifti1(
  path: string,
  data: Uint8Array | Int16Array | Int32Array | Float32Array,
  shape: readonly [number, number, number],
  affine: ArrayLike<number>,
): void {
  const dt = DT[data.constructor.name];
  if (!dt) throw new Error(`writeNifti1: unsupported ${data.constructor.name}`);
  const h = new DataView(new ArrayBuffer(352));
  h.setInt32(0, 348, true); // sizeof_hdr
  h.setInt16(40, 3, true); // dim[0]
  for (let i = 0; i < 3; i++) h.setInt16(42 + 2 * i, shape[i]!, true);
  for (let i = 3; i < 7; i++) h.setInt16(42 + 2 * i, 1, true);
  h.setInt16(70, dt[0], true); // datatype
  h.setInt16(72, dt[1], true); // bitpix
  h.setFloat32(76, 1, true); // pixdim[0] = qfac
  for (let j = 0; j < 3; j++) {
    const s = Math.hypot(affine[j]!, affine[4 + j]!, affine[8 + j]!);
    h.setFloat32(80 + 4 * j, s, true); // pixdim[1..3]
  }
  h.setFloat32(108, 352, true); // vox_offset
  h.setFloat32(112, 1, true); // scl_slope
  h.setUint8(123, 2); // xyzt_units: mm
  h.setInt16(252, 0, true); // qform_code
  h.setInt16(254, 1, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.setFloat32(280 + 16 * r + 4 * c, affine[4 * r + c]!, true);
  const magic = 'n+1\0';
  for (let i = 0; i < 4; i++) h.setUint8(344 + i, magic.charCodeAt(i));
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(352 + body.length);
  out.set(new Uint8Array(h.buffer), 0);
  out.set(body, 352);
  writeFileSync(path, out);
}
