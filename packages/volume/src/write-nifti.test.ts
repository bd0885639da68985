import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expectClose, haveReferences, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { decodeNifti } from './nifti-decode.js';
import { readNifti, readNiftiWithHeader, writeNifti } from '@voxnas/volume/node';
import { allocData, createVolume, DTYPES } from './volume.js';
import type { DType, Volume } from './volume.js';
import { encodeNifti } from './write-nifti.js';

/** An oblique-free but permuted, flipped, anisotropic affine (float32-representable). */
const AFFINE = [0, -1.5, 0, 10.25, 0, 0, 2.5, -20, 1.25, 0, 0, 30.5, 0, 0, 0, 1];

function randomVolume(dtype: DType, channels: number, rng: Rng, kind: 'image' | 'label' = 'image'): Volume {
  const shape = [5, 6, 7] as const;
  const data = allocData(dtype, 5 * 6 * 7 * channels);
  for (let i = 0; i < data.length; i++) {
    if (dtype.startsWith('float')) data[i] = rng.normal() * 100;
    else {
      const bits = Number(/\d+/.exec(dtype)![0]);
      const lo = dtype.startsWith('u') ? 0 : -(2 ** (bits - 1));
      data[i] = lo + Math.floor(rng.float() * 2 ** bits);
    }
  }
  return createVolume({ data, shape, channels, affine: AFFINE, kind });
}

function md5(v: Volume): string {
  const d = v.data;
  return createHash('md5')
    .update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))
    .digest('hex');
}

const CASES = DTYPES.flatMap((dtype) =>
  [1, 3].flatMap((channels) =>
    ['.nii', '.nii.gz'].map((ext) => ({
      dtype,
      channels,
      ext,
      version: (channels === 3 && ext === '.nii' ? 2 : 1) as 1 | 2,
    })),
  ),
);

describe('writeNifti round trips', () => {
  it('voxnas → nibabel and voxnas → voxnas: every dtype, 3D and 4D, .nii and .nii.gz, NIfTI-1 and -2', async () => {
    await withTempDir(async (dir) => {
      const rng = new Rng(11);
      const written: { file: string; vol: Volume; version: 1 | 2 }[] = [];
      for (const c of CASES) {
        const vol = randomVolume(c.dtype, c.channels, rng, c.dtype === 'uint8' ? 'label' : 'image');
        const file = join(dir, `${c.dtype}-c${c.channels}-v${c.version}${c.ext}`);
        await writeNifti(vol, file, { version: c.version });
        written.push({ file, vol, version: c.version });
        const back = await readNiftiWithHeader(file);
        expect(back.warnings).toEqual([]);
        expect(back.volume.dtype).toBe(vol.dtype);
        expect(back.volume.kind).toBe(vol.kind);
        expect([...back.volume.shape, back.volume.channels]).toEqual([...vol.shape, vol.channels]);
        expect(Array.from(back.volume.affine)).toEqual(AFFINE);
        expect(md5(back.volume)).toBe(md5(vol)); // bit for bit
        expect(back.header.version).toBe(c.version);
      }
      const refs = runPythonReference<
        {
          shape: number[];
          dtype: string;
          affine: number[];
          qform: number[];
          md5: string;
          codes: number[];
          intent: number;
        }[]
      >(
        `
import json, sys, hashlib, numpy as np, nibabel as nib
out = []
for f in json.load(sys.stdin):
    img = nib.load(f)
    arr = np.asanyarray(img.dataobj)
    out.append(dict(shape=list(img.shape), dtype=arr.dtype.name, affine=img.affine.ravel().tolist(), qform=img.get_qform().ravel().tolist(),
                    md5=hashlib.md5(arr.astype(arr.dtype.newbyteorder('<')).tobytes(order='F')).hexdigest(),
                    codes=[int(img.header['sform_code']), int(img.header['qform_code'])], intent=int(img.header['intent_code'])))
print(json.dumps(out))
`,
        written.map((w) => w.file),
      );
      refs.forEach((ref, i) => {
        const { vol, file } = written[i]!;
        expect(ref.shape, file).toEqual(vol.channels > 1 ? [...vol.shape, vol.channels] : [...vol.shape]);
        expect(ref.dtype, file).toBe(vol.dtype);
        expect(ref.md5, file).toBe(md5(vol));
        expect(ref.affine, file).toEqual(AFFINE);
        expectClose(ref.qform, AFFINE, { atol: 1e-6, rtol: 1e-6 }); // the qform encodes the same affine
        expect(ref.codes).toEqual([2, 2]);
        expect(ref.intent).toBe(vol.kind === 'label' ? 1002 : 0);
      });
    });
  });

  it('encodeNifti / decodeNifti round trip in memory (gzip and not)', () => {
    const vol = randomVolume('int16', 2, new Rng(3));
    for (const gzip of [false, true]) {
      const back = decodeNifti(encodeNifti(vol, { gzip })).volume;
      expect(md5(back)).toBe(md5(vol));
      expect(back.channels).toBe(2);
    }
    expect(encodeNifti(vol).length).toBe(352 + 5 * 6 * 7 * 2 * 2);
  });
});

describe.runIf(haveReferences('numpy', 'nibabel'))('qform from the affine, like nibabel set_qform', () => {
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  const cases: [string, number[]][] = [
    ['RAS identity-like', [2, 0, 0, -10, 0, 3, 0, 5, 0, 0, 1.5, 7, 0, 0, 0, 1]],
    ['LAS (reflection → qfac -1)', [-1, 0, 0, 90, 0, 1, 0, -126, 0, 0, 1, -72, 0, 0, 0, 1]],
    ['180° about x (w = 0)', [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1]],
    ['oblique rotation', [c * 0.9, -s * 1.1, 0, 3, s * 0.9, c * 1.1, 0, -4, 0, 0, 1.3, 5, 0, 0, 0, 1]],
    [
      'oblique with reflection and permutation',
      [0, c * 1.2, -s * 0.8, 1, 0, s * 1.2, c * 0.8, 2, -2, 0, 0, 3, 0, 0, 0, 1],
    ],
    ['shear', [1, 0.3, 0, 0, 0, 1, 0.2, 0, 0.1, 0, 1, 0, 0, 0, 0, 1]],
  ];

  const encoded = cases.map(
    ([, affine]) =>
      encodeNifti(createVolume({ data: new Float32Array(3 * 4 * 5), shape: [3, 4, 5], affine }), {
        version: 2,
      }), // float64 fields
  );
  const refs = runPythonReference<{ qform: number[]; sform: number[]; nibQform: number[] }[]>(
    `
import json, sys, io, numpy as np, nibabel as nib
out = []
for case in json.load(sys.stdin):
    hdr = nib.Nifti2Header.from_fileobj(io.BytesIO(bytes(case['bytes'])))
    h2 = nib.Nifti2Header(); h2.set_data_shape((3, 4, 5)); h2.set_qform(np.array(case['affine']).reshape(4, 4), code=2)
    out.append(dict(qform=hdr.get_qform().ravel().tolist(), sform=hdr.get_sform().ravel().tolist(), nibQform=h2.get_qform().ravel().tolist()))
print(json.dumps(out))
`,
    cases.map(([, affine], i) => ({ bytes: Array.from(encoded[i]!.subarray(0, 544)), affine })),
  );

  it.each(cases.map((c, i) => [c[0], c[1], i] as const))('%s', (name, affine, i) => {
    const ref = refs[i]!;
    expect(ref.sform).toEqual(affine); // sform holds the exact affine
    // our qform fields decode (in nibabel) to the matrix nibabel's own set_qform produces
    expectClose(ref.qform, ref.nibQform, { atol: 1e-12, rtol: 1e-12 });
    if (name !== 'shear') expectClose(ref.qform, affine, { atol: 1e-12, rtol: 1e-12 });
    else expect(Math.max(...ref.qform.map((q, k) => Math.abs(q - affine[k]!)))).toBeGreaterThan(0.05); // nearest rotation only
    const back = decodeNifti(encoded[i]!);
    expectClose(back.header.qform!, ref.qform, { atol: 1e-12, rtol: 1e-12 });
    expect(Array.from(back.volume.affine)).toEqual(affine);
  });
});

describe('writeNifti is atomic and validates', () => {
  it('leaves nothing behind when the rename fails, and keeps an existing target intact', async () => {
    await withTempDir(async (dir) => {
      const vol = randomVolume('float32', 1, new Rng(1));
      await mkdir(join(dir, 'taken.nii.gz'));
      await expect(writeNifti(vol, join(dir, 'taken.nii.gz'))).rejects.toThrow(
        /EISDIR|EEXIST|ENOTEMPTY|EPERM/,
      );
      expect(await readdir(dir)).toEqual(['taken.nii.gz']);
      expect((await stat(join(dir, 'taken.nii.gz'))).isDirectory()).toBe(true);
      await expect(writeNifti(vol, join(dir, 'missing-dir', 'x.nii'))).rejects.toThrow(/ENOENT/);
      expect(await readdir(dir)).toEqual(['taken.nii.gz']);
      // overwrite an existing file: the new content replaces the old in one step
      const f = join(dir, 'v.nii');
      await writeNifti(vol, f);
      const vol2 = randomVolume('float32', 1, new Rng(2));
      await writeNifti(vol2, f);
      expect(md5(await readNifti(f))).toBe(md5(vol2));
      expect((await readdir(dir)).sort()).toEqual(['taken.nii.gz', 'v.nii']);
      expect((await readFile(f)).length).toBe(352 + 5 * 6 * 7 * 4);
    });
  });

  it('rejects a path that is not .nii / .nii.gz', async () => {
    const vol = randomVolume('uint8', 1, new Rng(1));
    await expect(writeNifti(vol, '/tmp/x.mgz')).rejects.toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: writeNifti(x.mgz): path must end in .nii or .nii.gz]`,
    );
    await expect(writeNifti(vol, '/tmp/x.nii', { gzipLevel: 12 })).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects dims NIfTI-1 cannot hold, and suggests NIfTI-2', () => {
    const vol = createVolume({ data: new Uint8Array(40000), shape: [40000, 1, 1] });
    expect(() => encodeNifti(vol)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: encodeNifti: dimension 40000 exceeds NIfTI-1's 32767; use version 2]`,
    );
    expect(decodeNifti(encodeNifti(vol, { version: 2 })).volume.shape).toEqual([40000, 1, 1]);
  });
});
