// Case slices for the report: best/median/worst by mean Dice, the axial slice with the most reference
// foreground, PNGs that decode (CRC by zlib.crc32, pixels by zlib.inflateSync) to the image in grey with
// the reference / prediction blended in the label colours.
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createVolume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { LABEL_COLORS } from '../commands/export.js';
import { caseSlices, caseSlicesSection, pickCases } from './case-slices.js';
import { crc32, encodePng } from './png.js';

/** Decodes the RGB PNGs encodePng writes (filter 0 rows), checking every chunk's CRC against zlib's. */
function decodePng(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (o < png.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    expect(v.getUint32(o + 8 + len), `CRC of ${type}`).toBe(zlibCrc32(png.subarray(o + 4, o + 8 + len)));
    if (type === 'IHDR') [width, height] = [v.getUint32(o + 8), v.getUint32(o + 12)];
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(3 * width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (3 * width + 1)]).toBe(0);
    rgb.set(raw.subarray(y * (3 * width + 1) + 1, (y + 1) * (3 * width + 1)), 3 * width * y);
  }
  return { width, height, rgb };
}

const AFFINE = [0, -1.5, 0, 10, 2, 0, 0, -4, 0, 0, 1.2, 7, 0, 0, 0, 1];
const [NX, NY, NZ] = [12, 10, 6];

/** Label 1 in x 2..5, y 3..6 on slices z = 1..4 (4 voxels wide at z = 3), label 2 at x 8..9, y 1..2, z 3. */
function reference(): Uint8Array {
  const lab = new Uint8Array(NX * NY * NZ);
  for (let z = 1; z <= 4; z++) for (let y = 3; y <= 6; y++) for (let x = 2; x <= (z === 3 ? 5 : 3); x++) lab[x + NX * (y + NY * z)] = 1;
  for (let y = 1; y <= 2; y++) for (let x = 8; x <= 9; x++) lab[x + NX * (y + NY * 3)] = 2;
  return lab;
}

describe('report case slices', () => {
  it('CRC-32 equals zlib’s', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 251);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(() => encodePng(new Uint8Array(5), 2, 2)).toThrow(RangeError);
  });

  it('picks best, median and worst by mean foreground Dice', () => {
    const cases = [
      { caseId: 'a', dice: 0.9 },
      { caseId: 'b', dice: 0.5 },
      { caseId: 'c', dice: 0.1 },
      { caseId: 'd', dice: 0.7 },
      { caseId: 'e', dice: Number.NaN },
    ];
    expect(pickCases(cases).map((p) => [p.role, p.caseId])).toEqual([
      ['best', 'a'],
      ['median', 'd'],
      ['worst', 'c'],
    ]);
    expect(pickCases([{ caseId: 'only', dice: 0.3 }]).map((p) => p.role)).toEqual(['best']);
  });

  it('renders image, reference and prediction slices of a run as PNGs in the report', () =>
    withTempDir(async (dir) => {
      await mkdir(join(dir, 'preprocessed', 'imagesTr'), { recursive: true });
      await mkdir(join(dir, 'preprocessed', 'labelsTr'), { recursive: true });
      await mkdir(join(dir, 'predictions'), { recursive: true });
      const ref = reference();
      const image = Float32Array.from(ref, (l, i) => l * 2 + (i % 7) / 7);
      const ids = ['case_a', 'case_b', 'case_c'];
      const dice = [0.95, 0.2, 0.6];
      for (const [k, id] of ids.entries()) {
        await writeNifti(createVolume({ data: image, shape: [NX, NY, NZ], affine: AFFINE }), join(dir, 'preprocessed', 'imagesTr', `${id}.nii.gz`));
        await writeNifti(createVolume({ data: ref, shape: [NX, NY, NZ], affine: AFFINE, kind: 'label' }), join(dir, 'preprocessed', 'labelsTr', `${id}.nii.gz`));
        // case_b predicts nothing; the others predict the reference
        const pred = k === 1 ? new Uint8Array(ref.length) : ref;
        await writeNifti(createVolume({ data: pred, shape: [NX, NY, NZ], affine: AFFINE, kind: 'label' }), join(dir, 'predictions', `${id}.nii.gz`));
      }
      await writeFile(
        join(dir, 'preprocessed', 'dataset.json'),
        JSON.stringify({ training: ids.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })) }),
      );
      const metrics = { cases: ids.map((caseId, k) => ({ caseId, result: { classes: [{ name: 'one', metrics: { dice: dice[k]! } }, { name: 'two', metrics: { dice: dice[k]! } }] } })) };
      const slices = await caseSlices({ dir, metrics });
      expect(slices.map((s) => [s.role, s.caseId, s.z])).toEqual([
        ['best', 'case_a', 3],
        ['median', 'case_c', 3],
        ['worst', 'case_b', 3],
      ]);
      const worst = slices[2]!;
      const [img, withRef, withPred] = [worst.png.image, worst.png.reference, worst.png.prediction].map(decodePng);
      expect([img!.width, img!.height]).toEqual([NX * 4, NY * 4]);
      // voxel (x 4, y 5) at z 3 is label 1: row (NY − 1 − 5)·4 (y up), column 4·4
      const at = (p: { rgb: Uint8Array; width: number }, x: number, y: number) => Array.from(p.rgb.subarray(3 * (((NY - 1 - y) * 4 + 1) * p.width + x * 4 + 1), 3 * (((NY - 1 - y) * 4 + 1) * p.width + x * 4 + 1) + 3));
      const [g] = at(img!, 4, 5);
      expect(at(img!, 4, 5)).toEqual([g, g, g]);
      expect(at(withRef!, 4, 5)).toEqual(LABEL_COLORS[0]!.map((c) => Math.round(0.5 * g! + 0.5 * c)));
      expect(at(withRef!, 8, 1)).toEqual(LABEL_COLORS[1]!.map((c) => Math.round(0.5 * at(img!, 8, 1)[0]! + 0.5 * c)));
      expect(at(withPred!, 4, 5)).toEqual([g, g, g]); // the worst case predicted nothing
      const html = caseSlicesSection(slices, ['one', 'two']);
      expect(html.match(/<img /g)?.length).toBe(9);
      expect(html).toContain('<b>worst</b> case_b — mean Dice 0.200, axial slice z = 3');
      expect(html).toContain(`src="data:image/png;base64,${Buffer.from(worst.png.prediction).toString('base64')}"`);
    }));
});
