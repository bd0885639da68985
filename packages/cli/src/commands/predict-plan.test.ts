import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { createVolume, padOrCrop, resample, spacingMm, type Volume } from '@voxnas/volume';
import { ConfigError } from '../errors.js';
import { main } from '../main.js';
import { handBuiltRun } from '../../test/hand-built-run.js';
import { groupInputCases, runPredict } from './predict.js';

// Prediction with the run's plan: an input on another spacing with a zero border is cropped to its
// non-zero region, normalised and resampled to the plan's target spacing before the network, and the
// class probabilities are resampled back onto the input's own grid and uncropped extent before the
// argmax. Channels may come as nnU-Net-style files <case>_0000, <case>_0001.
const TINY = {
  seed: 4,
  data: { phantomCases: 4, folds: 2, patchSize: [16, 16, 16] },
  search: { levels: 2, baseChannels: 4, nodes: 2 },
  inference: { overlap: 0, windowsPerBatch: 4 },
};

let root: string;
let run: string;
let input: Volume;

/** One channel of a multi-channel volume. */
const channel = (v: Volume, c: number) => {
  const n = v.shape[0] * v.shape[1] * v.shape[2];
  return createVolume({ data: v.data.slice(c * n, (c + 1) * n), shape: v.shape, affine: v.affine });
};

beforeAll(async () => {
  let net;
  ({ root, run, network: net } = await handBuiltRun({ prefix: 'voxnas-predict-plan-', config: TINY, weightsSeed: 5 }));
  net.dispose();
  const test = await readNifti(join(run, 'data', 'phantom', 'imagesTs', 'phantom_004.nii.gz'));
  // 1.25 mm in-plane and 1.2 mm slices (the plan's target is the training spacing 1 × 1 × 1.5 mm), a zero border of 3 voxels
  const coarse = resample(test, { spacingMm: [1.25, 1.25, 1.2] });
  input = padOrCrop(coarse, { shape: [coarse.shape[0] + 6, coarse.shape[1] + 6, coarse.shape[2] + 6] });
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('voxnas predict with the plan', () => {
  it('channel files <case>_0000/_0001 + --save-probabilities: labels and probabilities land on the input grid; the zero border is background', async () => {
    const dir = join(root, 'in');
    await mkdir(dir);
    await writeNifti(channel(input, 0), join(dir, 'case7_0000.nii.gz'));
    await writeNifti(channel(input, 1), join(dir, 'case7_0001.nii.gz'));
    await writeNifti(input, join(dir, 'four-d.nii.gz'));
    const out: string[] = [];
    const code = await main(['predict', '--run', run, '--input', dir, '--out', join(root, 'pred'), '--save-probabilities', '--json'], { out: (t) => out.push(t), err: () => {} });
    expect(code).toBe(0);
    const results = JSON.parse(out[0]!) as { inputs: string[]; output: string; probabilities: string }[];
    expect(results.map((r) => r.inputs.map((f) => f.slice(dir.length + 1)))).toEqual([['case7_0000.nii.gz', 'case7_0001.nii.gz'], ['four-d.nii.gz']]);
    const labels = await readNifti(results[0]!.output);
    const probs = await readNifti(results[0]!.probabilities);
    for (const v of [labels, probs]) {
      expect(v.shape).toEqual(input.shape);
      expect(Math.max(...Array.from(v.affine, (x, i) => Math.abs(x - input.affine[i]!)))).toBeLessThan(1e-4);
    }
    expect(spacingMm(labels).map((s) => +s.toFixed(4))).toEqual([1.25, 1.25, 1.2]);
    expect(probs.channels).toBe(4);
    expect(probs.dtype).toBe('float32');
    const [nx, ny, nz] = input.shape;
    const n = nx * ny * nz;
    let border = 0;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) {
          const v = x + nx * (y + ny * z);
          const p = [0, 1, 2, 3].map((k) => probs.data[k * n + v]!);
          expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
          expect(labels.data[v]).toBe(p.indexOf(Math.max(...p)));
          if (x < 3 || y < 3 || z < 3 || x >= nx - 3 || y >= ny - 3 || z >= nz - 3) {
            border++;
            expect(p[0]).toBe(1);
          }
        }
    expect(border).toBeGreaterThan(0);
    // the same case as one 4-D file: the same labels
    const same = await readNifti(results[1]!.output);
    expect(Array.from(same.data)).toEqual(Array.from(labels.data));
    expect(new Set(labels.data).size).toBeGreaterThan(1);
  });

  it("names the case whose channel files disagree, or have a gap", async () => {
    const dir = join(root, 'bad');
    await mkdir(dir);
    await writeNifti(channel(input, 0), join(dir, 'b_0000.nii.gz'));
    await writeNifti(resample(channel(input, 1), { spacingMm: 2 }), join(dir, 'b_0001.nii.gz'));
    const err = await runPredict({ run, input: dir, out: join(root, 'x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^voxnas predict --input: case b: channel 1 \(b_0001\.nii\.gz\) is on grid \[\d+, \d+, \d+\]×1, expected \[\d+, \d+, \d+\]×1 with the affine of channel 0 \(b_0000\.nii\.gz\)$/);
    expect(() => groupInputCases(['/d/c_0000.nii.gz', '/d/c_0002.nii.gz'])).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: voxnas predict --input: case c has channel files _0000, _0002, expected _0000 … _0001 without gaps]`,
    );
  });
});
