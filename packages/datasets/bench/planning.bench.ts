/**
 * Fingerprint + preprocessing of a dataset of 256³ volumes: voxnas against the same steps in
 * scipy/nibabel (single process, same machine, same run), reported as a ratio.
 *
 * Dataset: 3 CT-like cases (int16 HU: air, a soft-tissue body, an organ, a bone ball, a thin vessel;
 * 4 label values) of 256³ voxels at 0.8×0.8×1.0, 0.9×0.9×1.2 and 0.7×0.7×0.9 mm, gzipped NIfTI in MSD
 * layout. The target spacing is the median (0.8×0.8×1.0 mm), so two cases are resampled.
 *
 * Steps timed on both sides (nothing written): read + decode every file once; fingerprint (non-zero
 * mask with holes filled and its box; class voxel counts; 6-connected components per class; foreground
 * mean/sd exact, percentiles over every k-th foreground voxel, ≤ 100 000 per case, on both sides); plan (target spacing); per case crop → CT normalisation → resample (images
 * cubic B-spline, labels one-hot linear + argmax). The peer uses scipy's C routines (ndimage.zoom with
 * grid_mode=True and mode='nearest', binary_fill_holes, label) — no Python loops over voxels.
 *
 * Run: pnpm exec tsx --conditions=@voxnas/source bench/planning.bench.ts   (BENCH_SIZE, default 256)
 */
import { runPythonReference, withTempDir } from '@voxnas/testing';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';
import { createFingerprint, openDataset, planDataset, preprocessCase } from '@voxnas/datasets';

const N = Number(process.env.BENCH_SIZE ?? 256);
const SPACINGS: [number, number, number][] = [
  [0.8, 0.8, 1.0],
  [0.9, 0.9, 1.2],
  [0.7, 0.7, 0.9],
];

const PEER = `
import sys, json, time, numpy as np, nibabel as nib
from scipy.ndimage import binary_fill_holes, label as cc, zoom
a = json.load(sys.stdin)
root = a['root']
t0 = time.perf_counter()
ds = json.load(open(root + '/dataset.json'))
cases = []
for t in ds['training']:
    im = nib.load(root + '/' + t['image']); se = nib.load(root + '/' + t['label'])
    d = np.asarray(im.dataobj).astype(np.float32); s = np.asarray(se.dataobj).astype(np.uint8)
    sp = np.array(im.header.get_zooms()[:3], dtype=np.float64)
    mask = binary_fill_holes(d != 0)
    idx = np.argwhere(mask); lo = idx.min(0); hi = idx.max(0) + 1
    counts = np.bincount(s.ravel())
    smallest = {}
    for v in np.nonzero(counts)[0]:
        if v == 0: continue
        l, n = cc(s == v); smallest[int(v)] = int(np.bincount(l.ravel())[1:].min())
    cases.append((d, s, sp, lo, hi))
def sample(v):  # voxnas keeps every k-th foreground voxel, at most 100 000 per case, for the percentiles
    return v[::max(1, -(-len(v) // 100000))]
fgs = [d[s > 0].astype(np.float64) for d, s, *_ in cases]
fg = np.concatenate(fgs)
mean, sd = fg.mean(), fg.std(); p_lo, p_hi = np.percentile(np.concatenate([sample(f) for f in fgs]), [0.5, 99.5])
target = np.percentile(np.array([c[2] for c in cases]), 50, 0)
t1 = time.perf_counter()
for d, s, sp, lo, hi in cases:
    d = d[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]; s = s[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    x = ((np.clip(d, p_lo, p_hi) - mean) / sd).astype(np.float32)
    if np.any(np.abs(sp - target) > 1e-6 * target):
        shape = [max(1, int(round(n * q / t))) for n, q, t in zip(x.shape, sp, target)]
        f = [o / n for o, n in zip(shape, x.shape)]
        x = zoom(x, f, order=3, mode='nearest', grid_mode=True)
        classes = np.unique(s)
        maps = np.stack([zoom((s == k).astype(np.float32), f, order=1, mode='nearest', grid_mode=True) for k in classes])
        s = classes[np.argmax(maps, 0)]
t2 = time.perf_counter()
print(json.dumps({'fingerprint': t1 - t0, 'preprocess': t2 - t1}))
`;

async function writeDataset(dir: string): Promise<void> {
  await mkdir(join(dir, 'imagesTr'), { recursive: true });
  await mkdir(join(dir, 'labelsTr'), { recursive: true });
  const training: { image: string; label: string }[] = [];
  for (let k = 0; k < SPACINGS.length; k++) {
    const sp = SPACINGS[k]!;
    const rng = new Rng(k);
    const n = N * N * N;
    const img = new Int16Array(n);
    const lab = new Uint8Array(n);
    for (let z = 0, i = 0; z < N; z++) {
      for (let y = 0; y < N; y++) {
        for (let x = 0; x < N; x++, i++) {
          const u = (x + 0.5) / N - 0.5;
          const v = (y + 0.5) / N - 0.5;
          const w = (z + 0.5) / N - 0.5;
          const body = (u / 0.42) ** 2 + (v / 0.38) ** 2 + (w / 0.55) ** 2 <= 1;
          let c = 0;
          if (body && ((u + 0.1) / 0.15) ** 2 + (v / 0.12) ** 2 + (w / 0.3) ** 2 <= 1) c = 1;
          if (body && ((u - 0.18) / 0.07) ** 2 + ((v - 0.1) / 0.07) ** 2 + (w / 0.2) ** 2 <= 1) c = 2;
          if (body && Math.abs(u + 0.25) < 0.008 && Math.abs(v - 0.2) < 0.008 && Math.abs(w) < 0.4) c = 3;
          lab[i] = c;
          const hu = !body ? -1000 : c === 1 ? 60 : c === 2 ? 1000 : c === 3 ? 200 : 40;
          img[i] = Math.round(hu + 12 * rng.normal());
        }
      }
    }
    const affine = [sp[0], 0, 0, 0, 0, sp[1], 0, 0, 0, 0, sp[2], 0, 0, 0, 0, 1];
    const id = `case_${k}`;
    await writeNifti(createVolume({ data: img, shape: [N, N, N], affine }), join(dir, 'imagesTr', `${id}.nii.gz`));
    await writeNifti(createVolume({ data: lab, shape: [N, N, N], affine, kind: 'label' }), join(dir, 'labelsTr', `${id}.nii.gz`));
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  await writeFile(
    join(dir, 'dataset.json'),
    JSON.stringify({ name: 'bench-ct', modality: { 0: 'CT' }, labels: { 0: 'background', 1: 'organ', 2: 'bone', 3: 'vessel' }, training, test: [] }),
  );
}

async function main(): Promise<void> {
  await withTempDir(async (dir) => {
    await writeDataset(dir);
    const t0 = performance.now();
    const ds = await openDataset(dir, { validate: 'files' });
    const acc = createFingerprint(ds);
    const cases = [];
    for (const id of ds.caseIds) {
      const c = await ds.loadCase(id);
      acc.add(c);
      cases.push(c);
    }
    const plan = planDataset(acc.finish(), { network: { levels: 4 } });
    const t1 = performance.now();
    for (let k = 0; k < cases.length; k++) {
      preprocessCase(cases[k]!, plan);
      cases[k] = null as never; // release as we go, like the peer
    }
    const t2 = performance.now();
    const ours = { fingerprint: (t1 - t0) / 1000, preprocess: (t2 - t1) / 1000 };
    const peer = runPythonReference<{ fingerprint: number; preprocess: number }>(PEER, { root: dir });
    console.log(
      `\nload average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores (compare only ratios measured in the same run)`,
    );
    console.log(`fingerprint + preprocessing of ${SPACINGS.length} CT-like cases of ${N}³ (2 resampled to the median spacing)\n`);
    console.log('| step | voxnas (s) | scipy/nibabel (s) | scipy time / voxnas time |');
    console.log('|---|---:|---:|---:|');
    for (const k of ['fingerprint', 'preprocess'] as const) {
      console.log(`| ${k} | ${ours[k].toFixed(2)} | ${peer[k].toFixed(2)} | ${(peer[k] / ours[k]).toFixed(2)}× |`);
    }
    const a = ours.fingerprint + ours.preprocess;
    const b = peer.fingerprint + peer.preprocess;
    console.log(`| total | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)}× |`);
  });
}

await main();
