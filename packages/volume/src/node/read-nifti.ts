import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InvalidArgumentError } from '@voxnas/core';
// Imported by package name, so the published node entry shares the main entry's error classes.
import {
  NiftiFormatError,
  decodeNifti,
  isGzip,
  type DecodeNiftiOptions,
  type NiftiReadResult,
  type ReadNiftiOptions,
  type Volume,
} from '@voxnas/volume';
import { readNiftiBytes } from './read-nifti-bytes.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads a NIfTI-1 or NIfTI-2 image (`.nii`, `.nii.gz`, `.hdr`/`.img` pair, or the bytes of a `.nii(.gz)`)
 * into a {@link Volume}. Use {@link readNiftiWithHeader} to also get the header and the repair warnings.
 *
 * Rules: data stays in file order (x fastest, then y, z, then dim[4] as channels); the affine is the
 * sform when sform_code > 0, else the qform when qform_code > 0 (nibabel's quaternion formula), else
 * nibabel's pixdim fallback; `scl_slope`/`scl_inter` are applied when the slope is finite and non-zero and
 * (slope, inter) ≠ (1, 0), giving float32 data (float64 for float64 files); intent 1002 gives kind 'label'.
 *
 * @throws NiftiFormatError for a truncated, corrupt or unsupported file, naming the file and the problem.
 * @example
 * const t1 = await readNifti('/usr/share/mricron/templates/ch2.nii.gz');
 * t1.shape; // [181, 217, 181], dtype 'uint8', affine RAS+ mm
 */
export async function readNifti(
  source: string | Uint8Array,
  options: ReadNiftiOptions = {},
): Promise<Volume> {
  return (await readNiftiWithHeader(source, options)).volume;
}

/**
 * Like {@link readNifti} but returns `{ volume, header, warnings }`.
 *
 * @example
 * const { volume, header, warnings } = await readNiftiWithHeader('aal.nii.gz');
 * header.affineSource; // 'sform'
 * volume.kind;         // 'label' (intent 1002)
 */
export async function readNiftiWithHeader(
  source: string | Uint8Array,
  options: ReadNiftiOptions = {},
): Promise<NiftiReadResult> {
  if (typeof source !== 'string') {
    if (!(source instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        `readNifti: source must be a path or a Uint8Array, got ${describe(source)}`,
      );
    }
    const name = options.name ?? '<bytes>';
    const bytes = isGzip(source) ? await gunzipOrThrow(source, name) : source;
    return decodeNifti(bytes, { ...options, name });
  }
  const name = options.name ?? basename(source);
  const lower = source.toLowerCase();
  const pairHeader = /\.hdr(\.gz)?$/.test(lower);
  const pairImage = /\.img(\.gz)?$/.test(lower);
  if (pairHeader || pairImage) {
    const stem = source.replace(/\.(hdr|img)(\.gz)?$/i, '');
    const hdrPath = pairHeader ? source : await firstExisting([`${stem}.hdr`, `${stem}.hdr.gz`]);
    const imgPath = pairImage ? source : await firstExisting([`${stem}.img`, `${stem}.img.gz`]);
    if (!hdrPath)
      throw new NiftiFormatError(
        `readNifti(${name}): missing header file ${basename(stem)}.hdr for this .img`,
        { file: source },
      );
    if (!imgPath)
      throw new NiftiFormatError(
        `readNifti(${name}): missing image file ${basename(stem)}.img for this .hdr`,
        { file: source },
      );
    const [hdr, img] = await Promise.all([readBytes(hdrPath, name), readBytes(imgPath, name)]);
    const hdrBytes = await maybeGunzip(hdr, hdrPath, name);
    const imgBytes = await maybeGunzip(img, imgPath, name);
    return decodeWith(hdrBytes, { ...options, name, imageBytes: imgBytes }, source);
  }
  const raw = await readBytes(source, name);
  const bytes = await maybeGunzip(raw, source, name);
  return decodeWith(bytes, { ...options, name }, source);
}

function decodeWith(bytes: Uint8Array, options: DecodeNiftiOptions, file: string): NiftiReadResult {
  try {
    return decodeNifti(bytes, options);
  } catch (e) {
    if (e instanceof NiftiFormatError && e.file === undefined) {
      throw new NiftiFormatError(e.message, { cause: e.cause, file });
    }
    throw e;
  }
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p);
      return p;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

function readBytes(path: string, name: string): Promise<Uint8Array> {
  return readNiftiBytes(path, { name });
}

async function maybeGunzip(bytes: Uint8Array, path: string, name: string): Promise<Uint8Array> {
  const gzName = /\.gz$/i.test(path);
  if (isGzip(bytes)) return gunzipOrThrow(bytes, name, path);
  if (gzName) {
    const got = Array.from(bytes.subarray(0, 2), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new NiftiFormatError(
      `readNifti(${name}): file name ends in .gz but the data is not gzip: first bytes are ${got || '(empty)'}, expected 1f 8b`,
      { file: path },
    );
  }
  return bytes;
}

async function gunzipOrThrow(bytes: Uint8Array, name: string, path?: string): Promise<Uint8Array> {
  try {
    const out = await gunzipAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new NiftiFormatError(`readNifti(${name}): corrupt gzip stream (${msg}), expected a complete gzip file`, { cause: e, file: path });
  }
}

function describe(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
}
