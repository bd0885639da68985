/** The README example, run as written (paths under a temporary directory). */
import { join } from 'node:path';
import { haveReferences, withTempDir } from '@voxnas/testing';
import { expect, it } from 'vitest';
import { readNifti, readNiftiWithHeader, writeNifti } from '@voxnas/volume/node';
import { cropToForeground, orientationCode, resample, resampleTo, zScore } from './index.js';

it.runIf(haveReferences('mricron-data'))('README example', async () => {
  await withTempDir(async (out) => {
    // --- README example start
    const dir = '/usr/share/mricron/templates';
    const { volume: t1, header, warnings } = await readNiftiWithHeader(`${dir}/ch2.nii.gz`);
    // t1.shape [181, 217, 181], t1.dtype 'uint8', header.affineSource 'sform', warnings []
    const aal = await readNifti(`${dir}/aal.nii.gz`); // intent 1002 → kind 'label'

    const iso = resample(t1, { spacingMm: 2 }); // trilinear → float32, 91×109×91, same field of view
    const labels = resampleTo(aal, iso); // labels: always nearest; iso's shape and affine
    const brain = cropToForeground(iso, { mask: labels, margin: 2 });
    const mask = cropToForeground(labels, { margin: 2 }); // the same box
    const norm = zScore(brain, { mask }); // mean 0, std 1 inside the atlas

    await writeNifti(norm, join(out, 'brain-z.nii.gz')); // atomic; NIfTI-1, sform = qform (code 2)
    // --- README example end

    expect([t1.shape, t1.dtype, header.affineSource, warnings]).toEqual([
      [181, 217, 181],
      'uint8',
      'sform',
      [],
    ]);
    expect(aal.kind).toBe('label');
    expect(orientationCode(t1)).toBe('RAS');
    expect(iso.shape).toEqual([91, 109, 91]);
    expect(iso.dtype).toBe('float32');
    expect(labels.dtype).toBe('uint8');
    expect(Array.from(labels.affine)).toEqual(Array.from(iso.affine));
    expect(brain.shape).toEqual(mask.shape);
    const back = await readNifti(join(out, 'brain-z.nii.gz'));
    expect(back.shape).toEqual(norm.shape);
    expect(Array.from(back.data)).toEqual(Array.from(norm.data));
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < norm.data.length; i++) {
      if (mask.data[i]! > 0) {
        s += norm.data[i]!;
        s2 += norm.data[i]! ** 2;
        n++;
      }
    }
    expect(Math.abs(s / n)).toBeLessThan(1e-5);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(1e-5);
  });
});
