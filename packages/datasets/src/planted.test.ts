import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { runPythonReference, withTempDir } from '@voxnas/testing';
import { openDataset } from './dataset.js';
import { PLANTED_FAMILIES, generatePlantedCase, generatePlantedDataset } from './planted.js';

const SHAPE: [number, number, number] = [32, 30, 10];

describe('planted tasks', () => {
  it.each(['in-plane', 'long-range'] as const)('%s is deterministic per seed', (task) => {
    const a = generatePlantedCase(new Rng(3), { task, shape: SHAPE });
    const b = generatePlantedCase(new Rng(3), { task, shape: SHAPE });
    const c = generatePlantedCase(new Rng(4), { task, shape: SHAPE });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.label.data.buffer).equals(Buffer.from(b.label.data.buffer))).toBe(true);
    expect(Buffer.from(a.label.data.buffer).equals(Buffer.from(c.label.data.buffer))).toBe(false);
  });

  it('in-plane: what the docs say, checked with numpy', () => {
    const cases = Array.from({ length: 6 }, (_, k) => generatePlantedCase(new Rng(10 + k), { task: 'in-plane', shape: SHAPE, noise: 0 }));
    const r = runPythonReference<{
      intensityOk: boolean;
      bothClassesPerSlice: boolean;
      pFg: number;
      pFgGivenNeighbourFg: number;
      spacing: number[];
      barThin: number;
      diskThick: number;
    }>(
      `
import json, sys
import numpy as np
d = json.load(sys.stdin)
nx, ny, nz = d['shape']
ok = True; both = True; fg = 0; fg_pairs = 0; pairs = 0; thin = []; thick = []
for img, lab in zip(d['images'], d['labels']):
    img = np.array(img, dtype=np.float32).reshape(nz, ny, nx); lab = np.array(lab).reshape(nz, ny, nx)
    ok &= bool(np.all(img[lab > 0] == np.float32(1.0)) and np.all(img[lab == 0] == np.float32(0.2)))
    for z in range(nz):
        both &= bool((lab[z] == 1).any() and (lab[z] == 2).any())
    fg += (lab > 0).sum()
    a = lab[:-1] > 0; b = lab[1:] > 0
    fg_pairs += (a & b).sum(); pairs += a.sum()
    # in-plane thickness: the smaller of a voxel's run lengths of its class along x and along y
    for cls, acc in ((2, thin), (1, thick)):
        m = lab == cls
        for z in range(nz):
            for y, x in zip(*np.nonzero(m[z])):
                run = lambda line, i: (np.argmin(np.append(line[i:], False)) + np.argmin(np.append(line[i::-1], False)) - 1)
                acc.append(min(run(m[z, y, :], x), run(m[z, :, x], y)))
print(json.dumps({'intensityOk': ok, 'bothClassesPerSlice': both,
  'pFg': float(fg / (len(d['labels']) * nx * ny * nz)), 'pFgGivenNeighbourFg': float(fg_pairs / pairs), 'spacing': d['spacing'],
  'barThin': float(np.mean(np.array(thin) <= 2)), 'diskThick': float(np.mean(np.array(thick) >= 3))}))
`,
      { shape: SHAPE, images: cases.map((c) => Array.from(c.image.data)), labels: cases.map((c) => Array.from(c.label.data)), spacing: [cases[0]!.image.affine[0], cases[0]!.image.affine[5], cases[0]!.image.affine[10]] },
    );
    expect(r.intensityOk).toBe(true); // both classes have one intensity: only shape tells them apart
    expect(r.bothClassesPerSlice).toBe(true);
    expect(r.spacing).toEqual([1, 1, 4]); // thick slices
    // Bars are 2 voxels wide (neighbouring bars may touch); most disk voxels sit in runs of 3 or more both ways.
    expect(r.barThin).toBeGreaterThan(0.9);
    expect(r.diskThick).toBeGreaterThan(0.9);
    // Independent slices: foreground next to foreground across z no likelier than anywhere (within 0.1).
    expect(Math.abs(r.pFgGivenNeighbourFg - r.pFg)).toBeLessThan(0.1);
  });

  it('long-range: what the docs say, checked with numpy', () => {
    const cases = Array.from({ length: 12 }, (_, k) => generatePlantedCase(new Rng(20 + k), { task: 'long-range', shape: SHAPE, noise: 0, margin: 8 }));
    type Half = { side: string; plateRowsExact: boolean; classes: number[] };
    const r = runPythonReference<Array<{ halves: Half[]; minDistance: number; blobIntensity: boolean; plateElsewhere: boolean }>>(
      `
import json, sys
import numpy as np
d = json.load(sys.stdin)
nx, ny, nz = d['shape']
h = ny // 2
out = []
for img, lab in zip(d['images'], d['labels']):
    img = np.array(img, dtype=np.float32).reshape(nz, ny, nx); lab = np.array(lab).reshape(nz, ny, nx)
    plate = img == np.float32(1.6)
    halves = []
    for y0, y1 in ((0, h), (h, ny)):
        p = plate[:, y0:y1, :]
        cols = sorted(set(np.nonzero(p)[2].tolist()))
        side = 'low' if cols == [0, 1] else 'high' if cols == [nx - 2, nx - 1] else 'none'
        exact = bool(p[:, :, cols].all()) if cols else False
        l = lab[:, y0:y1, :]
        halves.append({'side': side, 'plateRowsExact': exact, 'classes': sorted(set(l[l > 0].tolist()))})
    xs = np.nonzero(lab > 0)[2]
    out.append({'halves': halves, 'minDistance': int(min(xs.min() - 1, (nx - 2) - xs.max())),
      'blobIntensity': bool(np.all(img[lab > 0] == np.float32(1.0))),
      'plateElsewhere': bool(plate[:, :, 2:nx - 2].any())})
print(json.dumps(out))
`,
      { shape: SHAPE, images: cases.map((c) => Array.from(c.image.data)), labels: cases.map((c) => Array.from(c.label.data)) },
    );
    for (const c of r) {
      expect(c.plateElsewhere).toBe(false);
      for (const half of c.halves) {
        expect(half.plateRowsExact).toBe(true); // a plate fills its half's face and nothing else
        expect(half.classes).toEqual([half.side === 'low' ? 1 : 2]); // the half's plate side decides its blobs' class
      }
      expect(new Set(c.halves.map((h) => h.side))).toEqual(new Set(['low', 'high'])); // both classes in every case
      expect(c.minDistance).toBeGreaterThanOrEqual(8); // … from at least 8 voxels away
      expect(c.blobIntensity).toBe(true); // blobs of both classes look the same
    }
    expect(new Set(r.map((c) => c.halves[0]!.side))).toEqual(new Set(['low', 'high'])); // which half gets which varies
  });

  it('writes an MSD dataset that openDataset reads, with the task\'s classes and family', async () => {
    await withTempDir(async (dir) => {
      await generatePlantedDataset({ dir, task: 'in-plane', cases: 2, seed: 1, shape: [16, 16, 4] });
      const ds = await openDataset(dir);
      expect(ds.caseIds).toEqual(['inplane_000', 'inplane_001']);
      expect([...ds.labels.values()]).toEqual(['background', 'disk', 'bar']);
      expect(PLANTED_FAMILIES['in-plane']).toEqual(['conv-3x3x1', 'p3d-3x3x1']);
    });
  });

  it('rejects an unknown task and a grid too small', () => {
    expect(() => generatePlantedCase(new Rng(1), { task: 'spiral' as 'in-plane' })).toThrow(InvalidArgumentError);
    expect(() => generatePlantedCase(new Rng(1), { task: 'long-range', shape: [20, 16, 8] })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: generatePlantedCase(long-range): shape is [20, 16, 8], expected integers ≥ [28, 16, 8]]`);
  });
});
