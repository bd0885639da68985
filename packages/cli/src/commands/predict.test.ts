import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { createVolume, crop, resample, type Volume } from '@voxnas/volume';
import { ConfigError } from '../errors.js';
import { main } from '../main.js';
import { runExport } from './export.js';
import { handBuiltRun } from '../../test/hand-built-run.js';
import { runPredict } from './predict.js';

// A train run built by hand from the same pieces `voxnas train` uses (prepareData, buildNetwork,
// saveWeights), with untrained weights: prediction only needs a run's files, not a good model.
const TINY = {
  seed: 3,
  data: { phantomCases: 4, folds: 2, patchSize: [16, 16, 16] },
  search: { levels: 2, baseChannels: 4, nodes: 2 },
  inference: { overlap: 0.25, windowsPerBatch: 4 },
};

let root: string;
let run: string;
let image: Volume;

beforeAll(async () => {
  let net;
  ({ root, run, network: net } = await handBuiltRun({ prefix: 'voxnas-predict-', config: TINY, weightsSeed: 11 }));
  net.dispose();
  // A centred crop keeps the sliding-window passes few (tfjs CPU is slow).
  const full = await readNifti(join(run, 'data', 'phantom', 'imagesTr', 'phantom_000.nii.gz'));
  image = crop(full, { start: [12, 10, 7], end: [37, 31, 26] });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Reverses voxel axis x and adjusts the affine so every voxel keeps its world position. */
function flipX(v: Volume): Volume {
  const [nx, ny, nz] = v.shape;
  const data = new Float32Array(v.data.length);
  for (let c = 0; c < v.channels; c++)
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const o = i + nx * (j + ny * (k + nz * c));
          data[o] = v.data[nx - 1 - i + nx * (j + ny * (k + nz * c))]!;
        }
  const a = v.affine;
  // A' = A · F with F: i → nx − 1 − i.
  const affine = Float64Array.from(a);
  for (let r = 0; r < 3; r++) {
    affine[r * 4] = -a[r * 4]!;
    affine[r * 4 + 3] = a[r * 4 + 3]! + a[r * 4]! * (nx - 1);
  }
  return createVolume({ data, shape: v.shape, channels: v.channels, affine, kind: v.kind });
}

function flipLabelsX(v: Volume): number[] {
  const [nx, ny, nz] = v.shape;
  const out: number[] = [];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out.push(v.data[nx - 1 - i + nx * (j + ny * k)]!);
  return out;
}

describe('voxnas predict', () => {
  it('writes label maps on each input grid: original, x-flipped (LAS), cropped and resampled inputs', async () => {
    const inputs = join(root, 'inputs');
    await mkdir(inputs);
    await writeNifti(image, join(inputs, 'a.nii.gz'));
    await writeNifti(flipX(image), join(inputs, 'b_flipped.nii.gz'));
    const cropped = crop(image, { start: [3, 5, 2], end: [20, 18, 17] });
    await writeNifti(cropped, join(inputs, 'c_cropped.nii'));
    const resampled = resample(image, { spacingMm: 1.7 }); // trilinear onto a coarser grid, same field of view
    await writeNifti(resampled, join(inputs, 'd_resampled.nii.gz'));
    const out = join(root, 'pred');
    const results = await runPredict({ run, input: inputs, output: out });
    expect(results.map((r) => r.output.slice(out.length + 1))).toEqual(['a.nii.gz', 'b_flipped.nii.gz', 'c_cropped.nii.gz', 'd_resampled.nii.gz']);
    for (const [name, input] of [
      ['a', image],
      ['b_flipped', flipX(image)],
      ['c_cropped', cropped],
      ['d_resampled', resampled],
    ] as const) {
      const pred = await readNifti(join(out, `${name}.nii.gz`));
      expect(pred.shape, name).toEqual(input.shape);
      expect(Math.max(...Array.from(pred.affine, (x, i) => Math.abs(x - input.affine[i]!))), name).toBeLessThan(1e-4);
      expect(pred.channels).toBe(1);
      expect(pred.kind).toBe('label');
      expect([...new Set(pred.data)].every((v) => Number.isInteger(v) && v >= 0 && v <= 3), name).toBe(true);
    }
    // The flipped input is reoriented to the training orientation before the network, so its
    // prediction is exactly the original's prediction, flipped back onto its own grid.
    const a = await readNifti(join(out, 'a.nii.gz'));
    const b = await readNifti(join(out, 'b_flipped.nii.gz'));
    expect(Array.from(b.data)).toEqual(flipLabelsX(a));
    expect(results[0]!.labelCounts.reduce((s, n) => s + n, 0)).toBe(25 * 21 * 19);
    // Not a constant map (else the flip check above would prove nothing).
    expect(results[0]!.labelCounts.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('a single file input and --mirror through main()', async () => {
    const file = join(root, 'single.nii.gz');
    await writeNifti(crop(image, { start: [0, 0, 0], end: [17, 16, 16] }), file);
    const out: string[] = [];
    const code = await main(['predict', '--run', run, '--input', file, '--output', join(root, 'pred-mirror'), '--mirror', '--json'], {
      out: (t) => out.push(t),
      err: () => {},
    });
    expect(code).toBe(0);
    const [r] = JSON.parse(out[0]!) as Array<{ shape: number[] }>;
    expect(r!.shape).toEqual([17, 16, 16]);
    const pred = await readNifti(join(root, 'pred-mirror', 'single.nii.gz'));
    expect(pred.shape).toEqual([17, 16, 16]);
  });

  it('an exported model directory predicts exactly like its run', async () => {
    const file = join(root, 'small.nii.gz');
    await writeNifti(crop(image, { start: [2, 1, 0], end: [19, 17, 16] }), file);
    const model = join(root, 'exported');
    await runExport({ run, out: model });
    await runPredict({ run, input: file, output: join(root, 'via-run') });
    await runPredict({ run: model, input: file, output: join(root, 'via-export') });
    const a = await readNifti(join(root, 'via-run', 'small.nii.gz'));
    const b = await readNifti(join(root, 'via-export', 'small.nii.gz'));
    expect(b.shape).toEqual([17, 16, 16]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(new Set(a.data).size).toBeGreaterThan(1);
    expect(Array.from(b.affine)).toEqual(Array.from(a.affine));
  });

  it('rejects an image with the wrong channel count (ConfigError)', async () => {
    const one = createVolume({ data: new Float32Array(9 * 10 * 11), shape: [9, 10, 11] });
    const file = join(root, 'one-channel.nii.gz');
    await writeNifti(one, file);
    const err = await runPredict({ run, input: file, output: join(root, 'x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.replace(root, '<tmp>')).toMatchInlineSnapshot(
      `"voxnas predict --input <tmp>/one-channel.nii.gz: the image has 1 channel(s), the model expects 2 (contrast0, contrast1)"`,
    );
  });

  it.each([
    [['--input', 'x.nii.gz', '--output', 'o'], 2, 'voxnas predict: --run <train-run> is required'],
    [['--run', '.', '--output', 'o'], 2, 'voxnas predict: --input <file.nii[.gz] | dir> is required'],
    [['--run', '/nonexistent-run', '--input', 'x.nii', '--output', 'o'], 1, 'ConfigError [E_CONFIG]: voxnas predict --run /nonexistent-run: /nonexistent-run/config.json is missing'],
  ])('usage and missing files: %j → exit %i', async (args, code, message) => {
    const err: string[] = [];
    expect(await main(['predict', ...args], { out: () => {}, err: (t) => err.push(t) })).toBe(code);
    expect(err.join('\n')).toContain(message);
  });
});
