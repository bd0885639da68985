import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { NiftiFormatError } from './errors.js';
import { decodeNifti } from './nifti-decode.js';
import { readNifti } from '@voxnas/volume/node';
import { createVolume } from './volume.js';
import { encodeNifti } from './write-nifti.js';

/** A valid small NIfTI-1 (int16, 3×4×5, non-identity affine) — every case corrupts a copy of it. */
const base = createVolume({
  data: Int16Array.from({ length: 60 }, (_, i) => i * 7 - 100),
  shape: [3, 4, 5],
  affine: [0, -1.5, 0, 10, 0, 0, 2, -20, 1.25, 0, 0, 30, 0, 0, 0, 1],
});
const VALID1 = encodeNifti(base);
const VALID2 = encodeNifti(base, { version: 2 });

type Edit = (b: Uint8Array, dv: DataView) => Uint8Array | void;
const i16 =
  (off: number, v: number): Edit =>
  (_b, dv) =>
    dv.setInt16(off, v, true);
const f32 =
  (off: number, v: number): Edit =>
  (_b, dv) =>
    dv.setFloat32(off, v, true);

function corrupt(src: Uint8Array, ...edits: Edit[]): Uint8Array {
  let b: Uint8Array = src.slice();
  for (const e of edits) b = e(b, new DataView(b.buffer)) ?? b;
  return b;
}

const cases: [string, () => Uint8Array, string][] = [
  [
    'empty input',
    () => new Uint8Array(0),
    'readNifti(case.nii): file is 0 bytes, expected at least 348 for a NIfTI-1 header',
  ],
  [
    '3 bytes',
    () => VALID1.slice(0, 3),
    'readNifti(case.nii): file is 3 bytes, expected at least 348 for a NIfTI-1 header',
  ],
  [
    'header cut at 200 bytes',
    () => VALID1.slice(0, 200),
    'readNifti(case.nii): file is truncated: 200 bytes, expected at least 348 for the NIfTI-1 header',
  ],
  [
    'sizeof_hdr 349',
    () => corrupt(VALID1, (_b, dv) => dv.setInt32(0, 349, true)),
    'readNifti(case.nii): sizeof_hdr is 349 (byte-swapped 1560346624), expected 348 (NIfTI-1) or 540 (NIfTI-2)',
  ],
  [
    'not a NIfTI (PNG bytes)',
    () => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, ...new Array(400).fill(0)]),
    'readNifti(case.nii): sizeof_hdr is 1196314761 (byte-swapped -1991225785), expected 348 (NIfTI-1) or 540 (NIfTI-2)',
  ],
  [
    'bad magic n+3',
    () => corrupt(VALID1, (b) => void (b[346] = 0x33)),
    "readNifti(case.nii): magic is 'n+3\\x00', expected 'n+1\\0' (single file) or 'ni1\\0' (.hdr/.img pair)",
  ],
  [
    'magic without NUL',
    () => corrupt(VALID1, (b) => void (b[347] = 0x21)),
    "readNifti(case.nii): magic is 'n+1!', expected 'n+1\\0' (single file) or 'ni1\\0' (.hdr/.img pair)",
  ],
  [
    'pair magic in bytes without .img',
    () => corrupt(VALID1, (b) => void (b[345] = 0x69)),
    "readNifti(case.nii): header is a .hdr/.img pair (magic 'ni1') but no image data was given; read the .hdr path or pass imageBytes",
  ],
  ['dim[0] = 0', () => corrupt(VALID1, i16(40, 0)), 'readNifti(case.nii): dim[0] is 0, expected 1..7'],
  ['dim[0] = 8', () => corrupt(VALID1, i16(40, 8)), 'readNifti(case.nii): dim[0] is 8, expected 1..7'],
  ['dim[0] = -3', () => corrupt(VALID1, i16(40, -3)), 'readNifti(case.nii): dim[0] is -3, expected 1..7'],
  [
    'dim[2] = 0',
    () => corrupt(VALID1, i16(44, 0)),
    'readNifti(case.nii): dim[2] is 0, expected a positive integer',
  ],
  [
    'dim[3] negative',
    () => corrupt(VALID1, i16(46, -5)),
    'readNifti(case.nii): dim[3] is -5, expected a positive integer',
  ],
  [
    'dim[5] = 2 (5D)',
    () => corrupt(VALID1, i16(40, 5), i16(50, 2)),
    'readNifti(case.nii): dim[5] is 2, expected 1 (voxnas reads 3D images with channels in dim[4] only)',
  ],
  [
    'datatype 32 complex64',
    () => corrupt(VALID1, i16(70, 32), i16(72, 64)),
    'readNifti(case.nii): datatype 32 (DT_COMPLEX64) is not supported, expected one of 2 uint8, 256 int8, 512 uint16, 4 int16, 768 uint32, 8 int32, 16 float32, 64 float64',
  ],
  [
    'datatype 128 RGB24',
    () => corrupt(VALID1, i16(70, 128), i16(72, 24)),
    'readNifti(case.nii): datatype 128 (DT_RGB24) is not supported, expected one of 2 uint8, 256 int8, 512 uint16, 4 int16, 768 uint32, 8 int32, 16 float32, 64 float64',
  ],
  [
    'datatype 1024 int64',
    () => corrupt(VALID1, i16(70, 1024), i16(72, 64)),
    'readNifti(case.nii): datatype 1024 (DT_INT64) is not supported, expected one of 2 uint8, 256 int8, 512 uint16, 4 int16, 768 uint32, 8 int32, 16 float32, 64 float64',
  ],
  [
    'datatype 999 unknown',
    () => corrupt(VALID1, i16(70, 999)),
    'readNifti(case.nii): datatype 999 is not supported, expected one of 2 uint8, 256 int8, 512 uint16, 4 int16, 768 uint32, 8 int32, 16 float32, 64 float64',
  ],
  [
    'vox_offset 12',
    () => corrupt(VALID1, f32(108, 12)),
    'readNifti(case.nii): vox_offset is 12, expected ≥ 352 for NIfTI-1',
  ],
  [
    'vox_offset 352.5',
    () => corrupt(VALID1, f32(108, 352.5)),
    'readNifti(case.nii): vox_offset is 352.5, expected a non-negative integer',
  ],
  [
    'vox_offset NaN',
    () => corrupt(VALID1, f32(108, NaN)),
    'readNifti(case.nii): vox_offset is NaN, expected a non-negative integer',
  ],
  [
    'vox_offset beyond the file',
    () => corrupt(VALID1, f32(108, 100000)),
    'readNifti(case.nii): vox_offset is 100000, beyond the end of the file (472 bytes)',
  ],
  [
    'data truncated by 10 bytes',
    () => VALID1.slice(0, VALID1.length - 10),
    'readNifti(case.nii): data is truncated: 110 bytes after vox_offset 352, expected 120 for 3×4×5 int16',
  ],
  [
    'header/data size mismatch (dim[1] too big)',
    () => corrupt(VALID1, i16(42, 30)),
    'readNifti(case.nii): data is truncated: 120 bytes after vox_offset 352, expected 1200 for 30×4×5 int16',
  ],
  [
    'header only, no data',
    () => VALID1.slice(0, 352),
    'readNifti(case.nii): data is truncated: 0 bytes after vox_offset 352, expected 120 for 3×4×5 int16',
  ],
  [
    'NaN in srow_y',
    () => corrupt(VALID1, f32(280 + 16 + 4, NaN)),
    'readNifti(case.nii): srow_y[1] is NaN with sform_code 2, expected a finite number',
  ],
  [
    'Infinity in srow_x offset',
    () => corrupt(VALID1, f32(280 + 12, Infinity)),
    'readNifti(case.nii): srow_x[3] is Infinity with sform_code 2, expected a finite number',
  ],
  [
    'singular sform (zero row)',
    () => corrupt(VALID1, f32(280 + 32, 0), f32(280 + 36, 0), f32(280 + 40, 0)),
    'readNifti(case.nii): sform (sform_code 2) is singular (det 0), expected an invertible 3×3 part',
  ],
  [
    'qform used with |bcd| > 1',
    () => corrupt(VALID1, i16(254, 0), f32(256, 2)),
    'readNifti(case.nii): qform (qform_code 2) is invalid: quatern_b/c/d = 2, -0.5, 0.5, qoffset = 10, -20, 30, expected finite values with b²+c²+d² ≤ 1',
  ],
  [
    'qform used with NaN qoffset',
    () => corrupt(VALID1, i16(254, 0), f32(272, NaN)),
    'readNifti(case.nii): qform (qform_code 2) is invalid: quatern_b/c/d = 0.5, -0.5, 0.5, qoffset = 10, NaN, 30, expected finite values with b²+c²+d² ≤ 1',
  ],
  [
    'scl_inter NaN with slope 2',
    () => corrupt(VALID1, f32(112, 2), f32(116, NaN)),
    'readNifti(case.nii): scl_inter is NaN with scl_slope 2, expected a finite intercept',
  ],
  [
    'truncated gzip',
    () => {
      const z = gzipSync(VALID1);
      return z.subarray(0, z.length - 12);
    },
    'readNifti(case.nii): corrupt gzip stream (unexpected end of file), expected a complete gzip file',
  ],
  [
    'gzip with a damaged CRC',
    () => {
      const z = Uint8Array.from(gzipSync(VALID1));
      z[z.length - 6]! ^= 0xff;
      return z;
    },
    'readNifti(case.nii): corrupt gzip stream (incorrect data check), expected a complete gzip file',
  ],
  [
    'gzip header only',
    () => Uint8Array.from([0x1f, 0x8b]),
    'readNifti(case.nii): corrupt gzip stream (unexpected end of file), expected a complete gzip file',
  ],
  [
    'NIfTI-2 header cut',
    () => VALID2.slice(0, 400),
    'readNifti(case.nii): file is truncated: 400 bytes, expected at least 540 for the NIfTI-2 header',
  ],
  [
    'NIfTI-2 damaged magic tail',
    () => corrupt(VALID2, (b) => void (b[9] = 0)),
    'readNifti(case.nii): NIfTI-2 magic bytes 4..7 are damaged, expected 0d 0a 1a 0a',
  ],
  [
    'NIfTI-2 vox_offset 100',
    () => corrupt(VALID2, (_b, dv) => dv.setBigInt64(168, 100n, true)),
    'readNifti(case.nii): vox_offset is 100, expected ≥ 544 for NIfTI-2',
  ],
  [
    'NIfTI-2 data truncated',
    () => VALID2.slice(0, 600),
    'readNifti(case.nii): data is truncated: 56 bytes after vox_offset 544, expected 120 for 3×4×5 int16',
  ],
];

describe('decodeNifti rejects bad input with a NiftiFormatError naming the file and the problem', () => {
  it('has at least 20 cases, and the valid files decode', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(Array.from(decodeNifti(VALID1).volume.data)).toEqual(Array.from(base.data));
    expect(Array.from(decodeNifti(VALID2).volume.data)).toEqual(Array.from(base.data));
  });

  it.each(cases)('%s', (_name, make, message) => {
    const bytes = make();
    let err: unknown;
    try {
      decodeNifti(bytes, { name: 'case.nii' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NiftiFormatError);
    expect((err as NiftiFormatError).code).toBe('E_NIFTI_FORMAT');
    expect((err as Error).message).toBe(message);
  });

  it('rejects a source that is neither a path nor bytes', async () => {
    await expect(readNifti(42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(readNifti(42 as never)).rejects.toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: readNifti: source must be a path or a Uint8Array, got number]`,
    );
    expect(() => decodeNifti(new ArrayBuffer(8) as never)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: decodeNifti(<bytes>): bytes and imageBytes must be Uint8Arrays, got ArrayBuffer]`,
    );
  });

  it('async readNifti on bytes fails the same way', async () => {
    await expect(
      readNifti(VALID1.slice(0, 200), { name: 'case.nii' }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(
      `[NiftiFormatError: readNifti(case.nii): file is truncated: 200 bytes, expected at least 348 for the NIfTI-1 header]`,
    );
  });
});

describe('fuzz: random header corruption never crashes with anything but NiftiFormatError', () => {
  it.each([
    ['NIfTI-1', VALID1, 352],
    ['NIfTI-2', VALID2, 544],
  ] as const)(
    '%s: 3000 seeded mutations (1–3 random header bytes, or a truncation)',
    (_n, valid, headerBytes) => {
      const rng = new Rng(2024);
      const outcomes = { ok: 0, typed: 0 };
      for (let t = 0; t < 3000; t++) {
        let b: Uint8Array = valid.slice();
        if (t % 10 === 9) b = b.slice(0, rng.int(0, b.length));
        else for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, headerBytes)] = rng.int(0, 256);
        try {
          const r = decodeNifti(b);
          // a file that decodes is self-consistent
          expect(r.volume.data.length).toBe(
            r.volume.shape[0] * r.volume.shape[1] * r.volume.shape[2] * r.volume.channels,
          );
          outcomes.ok++;
        } catch (e) {
          if (!(e instanceof NiftiFormatError))
            throw new Error(`mutation ${t} threw ${String(e)}`, { cause: e });
          outcomes.typed++;
        }
      }
      expect(outcomes.ok).toBeGreaterThan(100);
      expect(outcomes.typed).toBeGreaterThan(100);
    },
  );
});

describe('repairs are made openly: recorded in warnings, never silently', () => {
  it.each([
    [
      'vox_offset 0 in a single file → 352 (nibabel)',
      [f32(108, 0)],
      ['vox_offset is 0 in a single-file NIfTI-1; used 352 (as nibabel does)'],
    ],
    [
      'scl_slope NaN → unscaled',
      [f32(112, NaN)],
      ['scl_slope is NaN: no scaling applied (NIfTI rule: a zero slope means unscaled data)'],
    ],
    [
      'bitpix wrong → datatype wins',
      [i16(72, 8)],
      ['bitpix is 8 but datatype 4 (int16) has 16 bits; used the datatype'],
    ],
    [
      'qform with qfac 0 and a negative pixdim',
      [i16(254, 0), f32(76, 0), f32(80, -1.25)],
      ['pixdim[0] (qfac) is 0, expected 1 or -1; used 1', 'pixdim[1] is -1.25; used 1.25 (as nibabel does)'],
    ],
  ] as const)('%s', (_n, edits, warnings) => {
    const r = decodeNifti(corrupt(VALID1, ...edits));
    expect(r.warnings).toEqual(warnings);
    expect(Array.from(r.volume.data)).toEqual(Array.from(base.data));
  });
});

describe('readNifti path errors', () => {
  it('missing .img, missing .hdr, missing file, .gz that is not gzip, n+1 magic in a pair: typed errors with the file', async () => {
    await withTempDir(async (dir) => {
      const hdr = corrupt(VALID1.slice(0, 352), (b) => void (b[345] = 0x69), f32(108, 0));
      await writeFile(join(dir, 'lonely.hdr'), hdr);
      await writeFile(join(dir, 'orphan.img'), VALID1.subarray(352));
      await writeFile(join(dir, 'plain.nii.gz'), VALID1);
      await writeFile(join(dir, 'single.hdr'), VALID1.slice(0, 352));
      await writeFile(join(dir, 'single.img'), VALID1.subarray(352));
      await mkdir(join(dir, 'adir.nii'));
      const expectErr = async (p: string, msg: string) => {
        const err = await readNifti(join(dir, p)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(NiftiFormatError);
        expect((err as Error).message).toBe(msg);
        expect((err as NiftiFormatError).file).toBe(join(dir, p));
      };
      await expectErr('lonely.hdr', 'readNifti(lonely.hdr): missing image file lonely.img for this .hdr');
      await expectErr('orphan.img', 'readNifti(orphan.img): missing header file orphan.hdr for this .img');
      await expectErr(
        'nothing.nii',
        `readNifti(nothing.nii): cannot read ${join(dir, 'nothing.nii')} (ENOENT)`,
      );
      await expectErr('adir.nii', `readNifti(adir.nii): cannot read ${join(dir, 'adir.nii')} (EISDIR)`);
      await expectErr(
        'plain.nii.gz',
        'readNifti(plain.nii.gz): file name ends in .gz but the data is not gzip: first bytes are 5c 01, expected 1f 8b',
      );
      await expectErr(
        'single.hdr',
        "readNifti(single.hdr): magic is 'n+1' (single file) in the header of a .hdr/.img pair, expected 'ni1'",
      );
      // and the repaired pair reads
      await writeFile(join(dir, 'lonely.img'), VALID1.subarray(352));
      expect(Array.from((await readNifti(join(dir, 'lonely.hdr'))).data)).toEqual(Array.from(base.data));
    });
  });
});
