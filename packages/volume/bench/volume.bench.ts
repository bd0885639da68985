/**
 * @voxnas/volume speed vs its Python peers, measured in the same run (medians of REPS runs; the Python
 * side is timed inside Python, so interpreter start-up and imports are excluded):
 *
 * - read /usr/share/mricron/templates/ch2.nii.gz (181×217×181 uint8, gzip) — voxnas `readNifti` vs
 *   nibabel `np.asanyarray(nib.load(f).dataobj)`;
 * - trilinear resampling of a 256³ float32 volume — voxnas `resample` / `resampleGrid` vs
 *   `scipy.ndimage.affine_transform(order=1)` with the same matrix: (a) 1 mm → 1.3 mm (197³ out,
 *   separable path), (b) a 15° rotation about the centre (256³ out, general path).
 *
 * Ratio = voxnas time / peer time (< 1: voxnas faster), on medians and on minima (the minimum is the
 * steadier number on a shared machine). Run: pnpm bench (env BENCH_REPS, default 3; the read uses 3×).
 */
import { runPythonReference } from '@voxnas/testing';
import { createVolume, resample, resampleGrid } from '@voxnas/volume';
import { readNifti } from '@voxnas/volume/node';

const REPS = Number(process.env.BENCH_REPS ?? 3);
/** The read is cheap and noisy on a shared machine: more repetitions. */
const READ_REPS = 3 * REPS;
const CH2 = '/usr/share/mricron/templates/ch2.nii.gz';
const N = 256;
const ANGLE = (15 * Math.PI) / 180;

interface Timing {
  median: number;
  min: number;
}

function summarise(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]! };
}

async function timeIt(fn: () => unknown | Promise<unknown>, reps = REPS): Promise<Timing> {
  await fn(); // warm-up (JIT, allocator), not timed
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return summarise(times);
}

/** Output voxel → input voxel for a rotation by ANGLE about z through the volume centre. */
function rotationM(): Float64Array {
  const c = Math.cos(ANGLE);
  const s = Math.sin(ANGLE);
  const m = (N - 1) / 2;
  // in = R·(out − m) + m
  return Float64Array.from([c, -s, 0, m - c * m + s * m, s, c, 0, m - s * m - c * m, 0, 0, 1, 0, 0, 0, 0, 1]);
}

const PEER = `
import json, sys, time, numpy as np, nibabel as nib
from scipy.ndimage import affine_transform
c = json.load(sys.stdin)
def med(f, reps=c['reps']):
    f()  # warm-up, not timed
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return dict(median=ts[len(ts) // 2], min=ts[0])
out = {}
out['read'] = med(lambda: np.asanyarray(nib.load(c['ch2']).dataobj), c['readReps'])
n = c['n']
# x fastest in voxnas == numpy (x, y, z) array in Fortran order
vol = np.asfortranarray((np.sin(np.arange(n ** 3, dtype=np.float32) * np.float32(0.001)) * 100).reshape((n, n, n), order='F'))
f = 1.3
shape13 = tuple([max(1, round(n / f))] * 3)
out['zoom'] = med(lambda: affine_transform(vol, np.diag([f, f, f]), offset=(f - 1) / 2, output_shape=shape13, order=1, mode='nearest', prefilter=False))
M = np.array(c['rot']).reshape(4, 4)
res = {}
def rot():
    res['r'] = affine_transform(vol, M[:3, :3], offset=M[:3, 3], output_shape=(n, n, n), order=1, mode='nearest', prefilter=False)
out['rotate'] = med(rot)
idx = np.array(c['probe'])
out['probe'] = res['r'].ravel(order='F')[idx].tolist()
print(json.dumps(out))
`;

async function main(): Promise<void> {
  console.log(`@voxnas/volume bench — medians of ${REPS} runs, node ${process.version}`);
  // interior voxels (inside the rotated field of view) where both sides must agree
  const probe = Array.from({ length: 997 }, (_, k) => {
    const x = 64 + ((k * 37) % 128);
    const y = 64 + ((k * 91) % 128);
    const z = (k * 53) % N;
    return x + N * (y + N * z);
  });
  const peer = runPythonReference<{ read: Timing; zoom: Timing; rotate: Timing; probe: number[] }>(PEER, {
    reps: REPS,
    readReps: READ_REPS,
    probe,
    ch2: CH2,
    n: N,
    rot: Array.from(rotationM()),
  });

  const read = await timeIt(() => readNifti(CH2), READ_REPS);

  const data = new Float32Array(N ** 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(Math.fround(i * Math.fround(0.001))) * 100;
  const vol = createVolume({ data, shape: [N, N, N] });
  const zoom = await timeIt(() => resample(vol, { spacingMm: 1.3 }));
  let rotated = vol;
  const rotate = await timeIt(() => {
    rotated = resampleGrid(vol, { M: rotationM(), shape: [N, N, N] });
  });
  let maxDiff = 0;
  probe.forEach((idx, k) => {
    maxDiff = Math.max(maxDiff, Math.abs(rotated.data[idx]! - peer.probe[k]!));
  });

  const rows: [string, Timing, Timing][] = [
    ['read ch2.nii.gz (7.1 M voxels, gzip)', read, peer.read],
    ['resample 256³ f32 1 → 1.3 mm (trilinear)', zoom, peer.zoom],
    ['resample 256³ f32, 15° rotation (trilinear)', rotate, peer.rotate],
  ];
  console.log('');
  console.log(
    '| task | voxnas ms (median / min) | peer ms (median / min) | ratio voxnas/peer (median / min) |',
  );
  console.log('|---|---:|---:|---:|');
  for (const [name, ours, theirs] of rows) {
    const f = (t: Timing) => `${t.median.toFixed(1)} / ${t.min.toFixed(1)}`;
    console.log(
      `| ${name} | ${f(ours)} | ${f(theirs)} | ${(ours.median / theirs.median).toFixed(2)} / ${(ours.min / theirs.min).toFixed(2)} |`,
    );
  }
  console.log('');
  console.log('peers: nibabel 5.0 (read), scipy.ndimage.affine_transform order=1 (resampling)');
  console.log(
    `rotation agreement on ${probe.length} interior voxels: max |voxnas − scipy| = ${maxDiff.toExponential(2)} (values in ±100)`,
  );
}

await main();
