import { haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@voxnas/core';
import { arr, compareAtWorldPoints, randomVolume } from '../test/helpers.js';
import { orientationCode, reorient } from './orientation.js';
import { readNifti } from '@voxnas/volume/node';

const c = Math.cos(0.4);
const s = Math.sin(0.4);
const AFFINES: [string, number[]][] = [
  ['RAS', [2, 0, 0, -10, 0, 3, 0, 5, 0, 0, 1.5, 7, 0, 0, 0, 1]],
  ['LAS', [-1, 0, 0, 90, 0, 1, 0, -126, 0, 0, 1, -72, 0, 0, 0, 1]],
  ['LPS', [-1, 0, 0, 4, 0, -2, 0, 3, 0, 0, 3, 1, 0, 0, 0, 1]],
  ['permuted+flipped', [0, -1.5, 0, 10, 0, 0, 2.5, -20, 1.25, 0, 0, 30, 0, 0, 0, 1]],
  ['oblique 23°', [c, -s, 0, 3, s, c, 0, -4, 0, 0, -1.3, 5, 0, 0, 0, 1]],
  ['oblique permuted', [0, c * 1.2, -s * 0.8, 1, 0, s * 1.2, c * 0.8, 2, -2, 0, 0, 3, 0, 0, 0, 1]],
  ['sheared', [1, 0.3, 0, 0, 0, -1, 0.2, 0, 0.1, 0, 1, 0, 0, 0, 0, 1]],
];

describe.runIf(haveReferences('numpy', 'nibabel'))('orientationCode and reorient agree with nibabel', () => {
  const shape: [number, number, number] = [5, 6, 7];
  const vols = AFFINES.map(([, a], i) =>
    randomVolume({ shape, affine: a, seed: i + 1, channels: i === 3 ? 2 : 1 }),
  );
  const refs = runPythonReference<{ code: string; data: number[]; affine: number[] }[]>(
    `
import json, sys, numpy as np, nibabel as nib
out = []
for case in json.load(sys.stdin):
    aff = np.array(case['affine']).reshape(4, 4)
    shape = case['shape'] + ([case['channels']] if case['channels'] > 1 else [])
    data = np.array(case['data'], dtype=np.float32).reshape(shape, order='F')
    can = nib.as_closest_canonical(nib.Nifti1Image(data, aff))
    out.append(dict(code=''.join(nib.aff2axcodes(aff)), data=np.asarray(can.dataobj).ravel(order='F').tolist(), affine=can.affine.ravel().tolist()))
print(json.dumps(out))
`,
    vols.map((v) => ({ affine: Array.from(v.affine), shape, channels: v.channels, data: arr(v) })),
  );

  it.each(AFFINES.map(([name], i) => [name, i] as const))('%s', (_name, i) => {
    const v = vols[i]!;
    const ref = refs[i]!;
    expect(orientationCode(v)).toBe(ref.code);
    const ras = reorient(v, 'RAS');
    expect(orientationCode(ras)).toBe('RAS');
    expect(arr(ras)).toEqual(ref.data);
    expect(Array.from(ras.affine)).toEqual(ref.affine);
    expect(ras.channels).toBe(v.channels);
    // world positions kept, exact
    expect(compareAtWorldPoints(v, ras)).toMatchObject({ mismatches: 0, outside: 0 });
    // and back, exactly
    const back = reorient(ras, ref.code);
    expect(arr(back)).toEqual(arr(v));
    expect(Array.from(back.affine)).toEqual(Array.from(v.affine));
  });
});

describe('reorient', () => {
  it('keeps dtype and kind, returns the input when already in that orientation, accepts lower case', () => {
    const v = randomVolume({ shape: [3, 4, 5], affine: AFFINES[2]![1], dtype: 'int16', kind: 'label' });
    const r = reorient(v, 'ras');
    expect(r.dtype).toBe('int16');
    expect(r.kind).toBe('label');
    expect(reorient(r, 'RAS')).toBe(r);
    const psl = reorient(v, 'PSL');
    expect(orientationCode(psl)).toBe('PSL');
    expect(psl.shape).toEqual([4, 5, 3]);
    expect(compareAtWorldPoints(v, psl).mismatches).toBe(0);
  });

  it.runIf(haveReferences('mricron-data'))('brings the LAS atlas AICHAmc to RAS', async () => {
    const v = await readNifti('/usr/share/mricron/templates/AICHAmc.nii.gz');
    expect(orientationCode(v)).toBe('LAS');
    const r = reorient(v);
    expect(orientationCode(r)).toBe('RAS');
    expect(Array.from(r.affine)).toEqual([2, 0, 0, -90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]);
    expect(r.data[0]).toBe(v.data[90]);
  });

  it.each([['RAX'], ['RRS'], ['RA'], ['RASL'], ['']])('rejects code %j', (code) => {
    const v = randomVolume({ shape: [3, 4, 5] });
    expect(() => reorient(v, code)).toThrow(InvalidArgumentError);
  });

  it('error message names the expectation', () => {
    expect(() => reorient(randomVolume({ shape: [3, 4, 5] }), 'RAX')).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: reorient: orientation code is 'RAX', expected 3 letters, one from each of R/L, A/P, S/I (e.g. 'RAS', 'LPS')]`,
    );
  });
});
