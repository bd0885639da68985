/**
 * HD95 + ASSD on 256³ masks (two overlapping ellipsoids, anisotropic spacing): voxnas vs scipy
 * (distance_transform_edt on the surfaces) measured in the same run. `pnpm bench` in packages/metrics.
 */
import { execFileSync } from 'node:child_process';
import { ellipsoidMask } from '../test/fixtures.js';
import { computeMaskMetrics, summariseSurfaceDistances } from '../src/mask-metrics.js';
import { surfaceDistances } from '../src/surface.js';

const PY = process.env.VOXNAS_PYTHON ?? '/usr/bin/python3';
const N = Number(process.env.BENCH_N ?? 256);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const shape = [N, N, N] as const;
const spacing = [0.8, 0.8, 1.5] as const;
const ca = [0.48 * N, 0.5 * N, 0.5 * N] as const;
const ra = [0.3 * N, 0.22 * N, 0.2 * N] as const;
const cb = [0.52 * N, 0.47 * N, 0.53 * N] as const;
const rb = [0.28 * N, 0.25 * N, 0.18 * N] as const;

const a = ellipsoidMask(shape, ca, ra);
const b = ellipsoidMask(shape, cb, rb);

function timeIt(fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return Math.min(...times);
}

let ours = { hd95: 0, assd: 0 };
const tOurs = timeIt(() => {
  const sd = surfaceDistances(a, b, { shape, spacingMm: spacing });
  const s = summariseSurfaceDistances(sd.aToB, sd.bToA, { percentile: 95, nsdToleranceMm: 1 });
  ours = { hd95: s.hd95, assd: s.assd };
});
const tAll = timeIt(() => computeMaskMetrics(a, b, { shape, spacingMm: spacing }));

const script = String.raw`
import json, sys, time
import numpy as np
from scipy import ndimage
a = json.load(sys.stdin)
N = a['N']; reps = a['reps']; samp = a['spacing'][::-1]
z, y, x = np.ogrid[0:N, 0:N, 0:N]
def ell(c, r):
    return ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1
A = ell(a['ca'], a['ra']); B = ell(a['cb'], a['rb'])
st = ndimage.generate_binary_structure(3, 1)
def run(A, B):
    sa = A & ~ndimage.binary_erosion(A, st, border_value=0)
    sb = B & ~ndimage.binary_erosion(B, st, border_value=0)
    dab = ndimage.distance_transform_edt(~sb, sampling=samp)[sa]
    dba = ndimage.distance_transform_edt(~sa, sampling=samp)[sb]
    return float(max(np.percentile(dab, 95), np.percentile(dba, 95))), float((dab.sum() + dba.sum()) / (dab.size + dba.size))
def best(f):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t0)
    return min(ts) * 1000, r
t_full, (hd, assd) = best(lambda: run(A, B))
def cropped():
    U = A | B
    sl = ndimage.find_objects(U.astype(np.uint8))[0]
    return run(A[sl], B[sl])
t_crop, (hd2, assd2) = best(cropped)
print(json.dumps(dict(t_full=t_full, t_crop=t_crop, hd95=hd, assd=assd, hd95_crop=hd2, assd_crop=assd2)))
`;
const py = JSON.parse(
  execFileSync(PY, ['-c', script], {
    input: JSON.stringify({ N, reps: REPS, spacing, ca, ra, cb, rb }),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  }),
) as { t_full: number; t_crop: number; hd95: number; assd: number; hd95_crop: number; assd_crop: number };

const fmt = (x: number) => x.toFixed(0).padStart(7);
console.log(`HD95 + ASSD, ${N}³ ellipsoids, spacing [${spacing.join(', ')}] mm, best of ${REPS}`);
console.log(`| implementation                              |   ms    | time ÷ voxnas   |`);
console.log(`|---------------------------------------------|---------|-----------------|`);
console.log(`| voxnas surfaceDistances + HD95/ASSD         | ${fmt(tOurs)} | 1.00            |`);
console.log(`| voxnas computeMaskMetrics (all 10 metrics)  | ${fmt(tAll)} | ${(tAll / tOurs).toFixed(2).padEnd(15)} |`);
console.log(`| scipy EDT on the full grid                  | ${fmt(py.t_full)} | ${(py.t_full / tOurs).toFixed(2).padEnd(15)} |`);
console.log(`| scipy EDT cropped to the union bounding box | ${fmt(py.t_crop)} | ${(py.t_crop / tOurs).toFixed(2).padEnd(15)} |`);
console.log(
  `values: voxnas hd95=${ours.hd95.toFixed(6)} assd=${ours.assd.toFixed(6)} | scipy hd95=${py.hd95.toFixed(6)} assd=${py.assd.toFixed(6)}`,
);
if (Math.abs(ours.hd95 - py.hd95) > 1e-9 || Math.abs(ours.assd - py.assd) > 1e-9) {
  console.error('MISMATCH between voxnas and scipy');
  process.exitCode = 1;
}
