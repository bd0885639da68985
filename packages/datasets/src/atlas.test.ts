import { haveReferences, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { buildAtlasTask, HUMAN_DEEP_GREY, MACAQUE_BASAL_GANGLIA, MRICRON_TEMPLATES } from './atlas.js';
import { openDataset } from './dataset.js';

// Independent check with nibabel: every case voxel maps (through its own affine) to the original
// voxel with the same T1 value, and the mirror Dice recomputed from the original atlas.
const NIB_CHECK = `
import sys, json, numpy as np, nibabel as nib
a = json.load(sys.stdin)
t1 = nib.load(a['t1']); orig = np.asarray(t1.dataobj); Ainv = np.linalg.inv(t1.affine)
atl = np.asarray(nib.load(a['atlas']).dataobj)
out = {'worldSign': [], 'maxErr': 0.0, 'labelsOk': True}
for side, img, lab in a['cases']:
    im = nib.load(img); d = np.asarray(im.dataobj); L = np.asarray(nib.load(lab).dataobj)
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in d.shape], indexing='ij'), -1).reshape(-1, 3)
    w = nib.affines.apply_affine(im.affine, ijk)
    src = np.rint(nib.affines.apply_affine(Ainv, w)).astype(int)
    out['maxErr'] = max(out['maxErr'], float(np.abs(orig[tuple(src.T)] - d.reshape(-1)).max()))
    out['worldSign'].append(float(np.sign(w[:, 0]).mean()))
    ids = a['ids'][side]
    ref = np.zeros(len(src), dtype=int)
    for k, group in enumerate(ids):
        ref[np.isin(atl[tuple(src.T)], group)] = k + 1
    out['labelsOk'] = out['labelsOk'] and bool((ref == L.reshape(-1)).all())
print(json.dumps(out))
`;

const tasks = [
  { spec: HUMAN_DEEP_GREY, range: [0.69, 0.93] },
  { spec: MACAQUE_BASAL_GANGLIA, range: [0.81, 0.88] },
];

describe.runIf(haveReferences('mricron-data'))('buildAtlasTask on Debian mricron-data', () => {
  it.each(tasks)(
    '$spec.task: two hemisphere cases, exact geometry, mirror Dice in the published range',
    async ({ spec, range }) => {
      await withTempDir(async (dir) => {
        const r = await buildAtlasTask({ spec, outDir: dir });
        const ds = await openDataset(r.dir);
        expect(ds.caseIds).toEqual([`${spec.task}_left`, `${spec.task}_right`]);
        expect([...ds.labels.values()]).toEqual(['background', ...spec.classes.map((c) => c.name)]);
        for (const name of Object.keys(r.mirrorDice)) {
          expect(r.mirrorDice[name]).toBeGreaterThanOrEqual(range[0]! - 0.03);
          expect(r.mirrorDice[name]).toBeLessThanOrEqual(range[1]! + 0.03);
        }
        const check = runPythonReference<{ worldSign: number[]; maxErr: number; labelsOk: boolean }>(
          NIB_CHECK,
          {
            t1: `${MRICRON_TEMPLATES}/${spec.image}`,
            atlas: `${MRICRON_TEMPLATES}/${spec.labels}`,
            cases: ['left', 'right'].map((side, k) => [
              side,
              `${r.dir}/imagesTr/${r.caseIds[k]}.nii.gz`,
              `${r.dir}/labelsTr/${r.caseIds[k]}.nii.gz`,
            ]),
            ids: { left: spec.classes.map((c) => c.left), right: spec.classes.map((c) => c.right) },
          },
        );
        expect(check.maxErr).toBe(0);
        expect(check.labelsOk).toBe(true);
        expect(check.worldSign).toEqual([-1, 1]); // left case entirely at world x < 0, right at x > 0: midline dropped
      });
    },
  );
});
