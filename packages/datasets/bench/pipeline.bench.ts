/**
 * Data-pipeline throughput: patches per second for a realistic training pipeline — a 128³ phantom,
 * fused affine (rotation ±15°, scale 0.85–1.25) + elastic (B-spline, σ 3 mm) resampling straight to a
 * 64³ patch (labels nearest), then gamma, brightness/contrast and Gaussian noise — with 0 (in-thread),
 * 1 and 2 worker threads. The peer is the same pipeline in Python/scipy (map_coordinates order 1/0,
 * elastic field from cubic zoom of a control grid), single process, measured in the same run.
 *
 * Run: pnpm exec tsx bench/pipeline.bench.ts   (env BENCH_BATCHES, default 6 batches of 2)
 */
import { runPythonReference, withTempDir } from '@voxnas/testing';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createLoader, generatePhantomDataset, type LoaderOptions } from '@voxnas/datasets';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 6);
const BATCH = 2;
const SHAPE: [number, number, number] = [128, 128, 128];
const PATCH: [number, number, number] = [64, 64, 64];

const PEER = `
import sys, json, time, numpy as np, nibabel as nib
from scipy.ndimage import map_coordinates, zoom
a = json.load(sys.stdin)
rng = np.random.default_rng(0)
img = np.asarray(nib.load(a['image']).dataobj, dtype=np.float32)
lab = np.asarray(nib.load(a['label']).dataobj)
P = np.array(a['patch']); n = int(a['n'])
g = np.stack(np.meshgrid(*[np.arange(p) - (p - 1) / 2 for p in P], indexing='ij'), 0).reshape(3, -1)
def patch():
    ax, ay, az = np.deg2rad(rng.uniform(-15, 15, 3)); s = rng.uniform(0.85, 1.25)
    Rx = np.array([[1,0,0],[0,np.cos(ax),-np.sin(ax)],[0,np.sin(ax),np.cos(ax)]])
    Ry = np.array([[np.cos(ay),0,np.sin(ay)],[0,1,0],[-np.sin(ay),0,np.cos(ay)]])
    Rz = np.array([[np.cos(az),-np.sin(az),0],[np.sin(az),np.cos(az),0],[0,0,1]])
    M = Rz @ Ry @ Rx / s
    ctrl = rng.normal(0, 3, (3, 5, 5, 5))
    d = np.stack([zoom(c, P / 5, order=3) for c in ctrl]).reshape(3, -1)
    c = np.array([rng.integers(p // 2, s_ - p // 2) for p, s_ in zip(P, img.shape)])
    coords = M @ g + d + c[:, None]
    x = map_coordinates(img, coords, order=1, mode='constant').reshape(P)
    y = map_coordinates(lab, coords, order=0, mode='constant').reshape(P)
    lo, hi = x.min(), x.max(); x = ((x - lo) / (hi - lo)) ** rng.uniform(0.7, 1.5) * (hi - lo) + lo
    m = x.mean(); x = (x * rng.uniform(0.75, 1.25) - m) * rng.uniform(0.75, 1.25) + m
    x = x + rng.normal(0, rng.uniform(0, 0.1), x.shape).astype(np.float32)
    return x, y
patch()
t = time.perf_counter()
for _ in range(n): patch()
print(json.dumps(n / (time.perf_counter() - t)))
`;

async function main(): Promise<void> {
  await withTempDir(async (dir) => {
    await generatePhantomDataset({
      dir,
      cases: 2,
      shape: SHAPE,
      spacingMm: [1, 1, 1],
      modalities: 1,
      seed: 1,
    });
    const opts: LoaderOptions = {
      dataset: dir,
      patchShape: PATCH,
      batchSize: BATCH,
      seed: 0,
      sampler: { type: 'foreground', fraction: 0.33 },
      transforms: [
        {
          type: 'spatial',
          options: {
            rotationDeg: [15, 15, 15],
            scale: [0.85, 1.25],
            elastic: { sigmaMm: 3, controlPoints: 5 },
          },
        },
        { type: 'gamma' },
        { type: 'brightness-contrast' },
        { type: 'noise' },
      ],
    };
    const rows: { name: string; pps: number }[] = [];
    for (const workers of [0, 1, 2]) {
      const loader = await createLoader({ ...opts, workers, prefetch: Math.max(2, 2 * workers) });
      // Warm-up: every worker starts, loads and indexes the cases (cached per worker) before timing.
      for (let b = 0; b < Math.max(2, 2 * workers); b++) await loader.next();
      const t0 = performance.now();
      for (let b = 0; b < BATCHES; b++) await loader.next();
      const s = (performance.now() - t0) / 1000;
      await loader.close();
      rows.push({
        name: workers === 0 ? 'voxnas, in-thread' : `voxnas, ${workers} worker${workers > 1 ? 's' : ''}`,
        pps: (BATCHES * BATCH) / s,
      });
    }
    const peer = runPythonReference<number>(PEER, {
      image: join(dir, 'imagesTr', 'phantom_000.nii.gz'),
      label: join(dir, 'labelsTr', 'phantom_000.nii.gz'),
      patch: PATCH,
      n: BATCHES * BATCH,
    });
    console.log(
      `\nload average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores (results scale with free cores)`,
    );
    console.log(
      `pipeline: 128³ volume → affine+elastic → gamma, brightness/contrast, noise → 64³ patches (${BATCHES}×${BATCH} patches)\n`,
    );
    console.log('| loader | patches/s | vs scipy (1 process) |');
    console.log('|---|---:|---:|');
    for (const r of rows) console.log(`| ${r.name} | ${r.pps.toFixed(2)} | ${(r.pps / peer).toFixed(2)}× |`);
    console.log(`| python/scipy peer, 1 process | ${peer.toFixed(2)} | 1.00× |`);
  });
}

await main();
