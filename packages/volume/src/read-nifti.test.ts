import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectClose, haveReferences, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { decodeNifti } from './nifti-decode.js';
import { readNifti, readNiftiWithHeader } from '@voxnas/volume/node';

const TEMPLATES = '/usr/share/mricron/templates';

interface TemplateRef {
  name: string;
  shape: number[];
  dtype: string;
  affine: number[];
  md5: string;
  intent: number;
}

describe.runIf(haveReferences('mricron-data', 'numpy', 'nibabel'))('readNifti on the mricron templates agrees with nibabel', () => {
  const files = existsSync(TEMPLATES)
    ? readdirSync(TEMPLATES)
        .filter((f) => f.endsWith('.nii.gz'))
        .sort()
    : [];
  const refs = runPythonReference<TemplateRef[]>(
    `
import json, sys, hashlib, numpy as np, nibabel as nib
out = []
for f in json.load(sys.stdin)['files']:
    img = nib.load(f)
    arr = np.asanyarray(img.dataobj)
    dt = arr.dtype.newbyteorder('<')
    out.append(dict(name=f, shape=list(img.shape), dtype=arr.dtype.name, affine=img.affine.ravel().tolist(),
                    md5=hashlib.md5(arr.astype(dt).tobytes(order='F')).hexdigest(), intent=int(img.header['intent_code'])))
print(json.dumps(out))
`,
    { files: files.map((f) => join(TEMPLATES, f)) },
  );

  it('finds the templates (mricron-data installed)', () => {
    expect(files.length).toBeGreaterThanOrEqual(13);
  });

  it.each(refs.map((r) => [r.name.split('/').pop()!, r] as const))(
    '%s: shape, dtype, affine, every voxel',
    async (_n, ref) => {
      const { volume, header, warnings } = await readNiftiWithHeader(ref.name);
      expect([...volume.shape]).toEqual(ref.shape.slice(0, 3));
      expect(volume.channels).toBe(ref.shape[3] ?? 1);
      expect(volume.dtype).toBe(ref.dtype);
      expect(Array.from(volume.affine)).toEqual(ref.affine); // exact
      expect(volume.kind).toBe(ref.intent === 1002 ? 'label' : 'image');
      const d = volume.data;
      const md5 = createHash('md5')
        .update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))
        .digest('hex');
      expect(md5).toBe(ref.md5);
      expect(header.affineSource).toBe('sform');
      expect(warnings).toEqual([]);
    },
  );

  it('honours a non-default vox_offset (inia19-NeuroMaps: 32976) and qform ≠ sform (ch2: qform flips y and z)', async () => {
    const neuro = await readNiftiWithHeader(join(TEMPLATES, 'inia19-NeuroMaps.nii.gz'));
    expect(neuro.header.voxOffset).toBe(32976);
    const ch2 = await readNiftiWithHeader(join(TEMPLATES, 'ch2.nii.gz'));
    expect(ch2.header.sformCode).toBe(4);
    expect(ch2.header.qform![5]).toBe(-1); // qform says y flipped, sform wins
    expect(ch2.volume.affine[5]).toBe(1);
  });
});

interface SynthRef {
  name: string;
  shape: number[];
  dtype: string;
  affine: number[];
  values: number[];
  intent: number;
  scaled: boolean;
}

const SYNTH_SCRIPT = `
import json, sys, os, struct, numpy as np, nibabel as nib
d = json.load(sys.stdin)['dir']
rng = np.random.default_rng(7)
aff = np.array([[0, -1.5, 0, 10.25], [0, 0, 2.5, -20], [1.25, 0, 0, 30.5], [0, 0, 0, 1]])
shape = (5, 6, 7)
def rand(dt, shp=shape):
    dt = np.dtype(dt)
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shp, endpoint=True, dtype=dt.newbyteorder('='))
    return (rng.normal(size=shp) * 1000).astype(dt.newbyteorder('='))
def save(img, name):
    img.to_filename(os.path.join(d, name))
def patch(name, fmt, offset, value):
    p = os.path.join(d, name)
    b = bytearray(open(p, 'rb').read())
    struct.pack_into(fmt, b, offset, value)
    open(p, 'wb').write(bytes(b))
for dt in ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64']:
    save(nib.Nifti1Image(rand(dt), aff), dt + '.nii')
save(nib.Nifti1Image(rand('>i2'), aff, header=nib.Nifti1Header(endianness='>')), 'be_int16.nii.gz')
save(nib.Nifti1Image(rand('>f8'), aff, header=nib.Nifti1Header(endianness='>')), 'be_float64.nii')
save(nib.Nifti2Image(rand('float32'), aff), 'n2_float32.nii')
save(nib.Nifti2Image(rand('>i4'), aff, header=nib.Nifti2Header(endianness='>')), 'n2_be_int32.nii.gz')
save(nib.Nifti1Image(rand('float32', (5, 6, 7, 3)), aff), 'four_d.nii.gz')
save(nib.Nifti1Pair(rand('int16'), aff), 'pair.hdr')
save(nib.Nifti1Image(rand('int16'), aff), 'scaled.nii'); patch('scaled.nii', '<f', 112, 2.5); patch('scaled.nii', '<f', 116, -3.0)
save(nib.Nifti1Image(rand('uint8'), aff), 'scaled_u8.nii'); patch('scaled_u8.nii', '<f', 112, 0.1); patch('scaled_u8.nii', '<f', 116, 0.0)
save(nib.Nifti1Image(rand('int16'), aff), 'slope0.nii'); patch('slope0.nii', '<f', 112, 0.0); patch('slope0.nii', '<f', 116, 5.0)
c, s = np.cos(0.5), np.sin(0.5)
rot = np.array([[c, -s, 0, 3], [s, c, 0, -4], [0, 0, -1, 5], [0, 0, 0, 1]]) @ np.diag([0.9, 1.1, 1.3, 1])
img = nib.Nifti1Image(rand('int16'), aff); img.set_sform(None, code=0); img.set_qform(rot, code=1); save(img, 'qform_only.nii')
img = nib.Nifti1Image(rand('int16'), aff); img.set_sform(None, code=0); img.set_qform(None, code=0); save(img, 'no_codes.nii')
img = nib.Nifti1Image(rand('int16'), aff); img.set_qform(rot, code=1); img.set_sform(aff, code=4); save(img, 'q_ne_s.nii')
img = nib.Nifti1Image(rand('uint8'), aff); img.header.set_intent('label'); save(img, 'label.nii.gz')
save(nib.Nifti1Image(rand('int16', (5, 6)), aff), 'two_d.nii')
img = nib.Nifti1Image(rand('float32'), aff); img.header.extensions.append(nib.nifti1.Nifti1Extension('comment', b'voxnas reads past extensions')); save(img, 'ext.nii')
out = []
for name in sorted(os.listdir(d)):
    if name.endswith('.img'):
        continue
    img = nib.load(os.path.join(d, name))
    slope, inter = img.dataobj.slope, img.dataobj.inter
    scaled = bool(slope != 1 or inter != 0)
    arr = img.get_fdata() if scaled else np.asanyarray(img.dataobj)
    out.append(dict(name=name, shape=list(img.shape), dtype=img.get_data_dtype().name, affine=img.affine.ravel().tolist(),
                    values=arr.ravel(order='F').astype(float).tolist(), intent=int(img.header['intent_code']), scaled=bool(scaled),
                    vox_offset=int(img.header['vox_offset'])))
print(json.dumps(out))
`;

describe('readNifti on files written by nibabel (every dtype, endianness, NIfTI-2, 4D, pair, scaling, xforms)', () => {
  it('reads every file with nibabel’s shape, dtype, affine and values', async () => {
    await withTempDir(async (dir) => {
      const refs = runPythonReference<SynthRef[]>(SYNTH_SCRIPT, { dir });
      expect(refs.map((r) => r.name)).toMatchInlineSnapshot(`
        [
          "be_float64.nii",
          "be_int16.nii.gz",
          "ext.nii",
          "float32.nii",
          "float64.nii",
          "four_d.nii.gz",
          "int16.nii",
          "int32.nii",
          "int8.nii",
          "label.nii.gz",
          "n2_be_int32.nii.gz",
          "n2_float32.nii",
          "no_codes.nii",
          "pair.hdr",
          "q_ne_s.nii",
          "qform_only.nii",
          "scaled.nii",
          "scaled_u8.nii",
          "slope0.nii",
          "two_d.nii",
          "uint16.nii",
          "uint32.nii",
          "uint8.nii",
        ]
      `);
      for (const ref of refs) {
        const { volume, header, warnings } = await readNiftiWithHeader(join(dir, ref.name));
        const ctx = `${ref.name}`;
        const refShape = [...ref.shape, 1, 1].slice(0, 3);
        expect([...volume.shape, volume.channels], ctx).toEqual([...refShape, ref.shape[3] ?? 1]);
        expect(volume.dtype, ctx).toBe(ref.scaled ? 'float32' : ref.dtype);
        expect(volume.kind, ctx).toBe(ref.intent === 1002 ? 'label' : 'image');
        if (header.affineSource === 'sform') expect(Array.from(volume.affine), ctx).toEqual(ref.affine);
        else expectClose(volume.affine, ref.affine, { atol: 1e-12, rtol: 1e-12 });
        if (ref.scaled) expectClose(volume.data, ref.values, { atol: 1e-6, rtol: 2 ** -23 });
        else expect(Array.from(volume.data), ctx).toEqual(ref.values);
        if (ref.name === 'slope0.nii') {
          expect(warnings).toMatchInlineSnapshot(`
            [
              "scl_slope is 0: no scaling applied (NIfTI rule: a zero slope means unscaled data)",
            ]
          `);
        }
        if (ref.name === 'no_codes.nii') {
          expect(header.affineSource).toBe('pixdim');
          expect(warnings).toContain(
            'sform_code and qform_code are 0: affine built from pixdim (nibabel base affine: x flipped, centred)',
          );
        }
        if (ref.name === 'qform_only.nii') expect(header.affineSource).toBe('qform');
        if (ref.name.startsWith('be_') || ref.name.startsWith('n2_be'))
          expect(header.littleEndian).toBe(false);
        if (ref.name.startsWith('n2_')) expect(header.version).toBe(2);
        if (ref.name === 'ext.nii') expect(header.voxOffset).toBeGreaterThan(352);
      }
      // The .img of a pair and bytes input read the same.
      const viaImg = await readNifti(join(dir, 'pair.img'));
      const viaHdr = await readNifti(join(dir, 'pair.hdr'));
      expect(Array.from(viaImg.data)).toEqual(Array.from(viaHdr.data));
      const bytes = new Uint8Array(await readFile(join(dir, 'be_int16.nii.gz')));
      const fromBytes = await readNifti(bytes);
      const fromPath = await readNifti(join(dir, 'be_int16.nii.gz'));
      expect(Array.from(fromBytes.data)).toEqual(Array.from(fromPath.data));
      expect(Array.from(decodeNifti(bytes).volume.data)).toEqual(Array.from(fromPath.data));
      const pairSync = decodeNifti(new Uint8Array(await readFile(join(dir, 'pair.hdr'))), {
        imageBytes: new Uint8Array(await readFile(join(dir, 'pair.img'))),
      });
      expect(Array.from(pairSync.volume.data)).toEqual(Array.from(viaHdr.data));
    });
  });

  it('scaling gives float32 with slope·raw + inter and keeps raw dtype when slope 1 / inter 0', async () => {
    await withTempDir(async (dir) => {
      runPythonReference(SYNTH_SCRIPT, { dir });
      const s = await readNiftiWithHeader(join(dir, 'scaled.nii'));
      const raw = await readNiftiWithHeader(join(dir, 'int16.nii'));
      expect(s.volume.dtype).toBe('float32');
      expect(s.header.sclSlope).toBe(2.5);
      expect(s.header.sclInter).toBe(-3);
      expect(s.warnings).toEqual([]);
      expect(raw.volume.dtype).toBe('int16');
      const opt = await readNifti(join(dir, 'label.nii.gz'), { kind: 'image' });
      expect(opt.kind).toBe('image');
    });
  });
});
