import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { initBackend } from '@voxnas/ops';
import { predictCase } from '@voxnas/train';
import { writePrediction } from '@voxnas/train/node';
import { readNifti } from '@voxnas/volume/node';
import { orientationCode, reorient, type Volume } from '@voxnas/volume';
import { ConfigError, UsageError } from '../errors.js';
import { defineCommand } from '../command.js';
import { normalizeImage } from '../pipeline/data.js';
import type { VoxnasConfig } from '../config.js';
import { loadExportedCard, loadExportedPlugins, loadNetwork, readRunConfig, trainingDataFacts } from './export.js';

/** Flags of `voxnas predict`. */
export interface PredictFlags {
  run?: string;
  input?: string;
  /** Directory the label maps are written to. */
  out?: string;
  /** @deprecated Use `out` (the CLI's `--output` still works, with a warning). */
  output?: string;
  /** Test-time mirroring over x, y, z (overrides the run's `inference.mirror`). */
  mirror?: boolean;
}

/** One written prediction. */
export interface PredictedCase {
  readonly input: string;
  readonly output: string;
  readonly shape: readonly [number, number, number];
  /** Voxels per label value (index = label). */
  readonly labelCounts: number[];
}

/** The case name of a NIfTI file: its file name without `.nii` / `.nii.gz`. */
export function caseName(file: string): string {
  return basename(file).replace(/\.nii(\.gz)?$/i, '');
}

function isNifti(file: string): boolean {
  return /\.nii(\.gz)?$/i.test(file);
}

/** NIfTI files of `path` (a file, or a directory's `.nii`/`.nii.gz` files sorted by name). */
export async function listNiftiFiles(path: string, flag: string): Promise<string[]> {
  if (!existsSync(path)) throw new ConfigError(`${flag} ${path}: no such file or directory`);
  if ((await stat(path)).isDirectory()) {
    const files = (await readdir(path)).filter(isNifti).sort();
    if (files.length === 0) throw new ConfigError(`${flag} ${path}: the directory has no .nii or .nii.gz files`);
    return files.map((f) => join(path, f));
  }
  if (!isNifti(path)) throw new ConfigError(`${flag} ${path}: expected a .nii or .nii.gz file or a directory of them`);
  return [path];
}

/**
 * `voxnas predict`: rebuilds a train run's network (`network.json` + `model/` weights; or a model
 * directory written by `voxnas export`, whose model card gives the same settings), and for each
 * input image reorients it to the training data's orientation, z-scores it like the training data,
 * predicts by sliding windows (the run's `inference` settings; `--mirror` adds test-time mirroring)
 * and writes the label map to `<out>/<case>.nii.gz` on the *input's* grid (shape and affine
 * checked after writing). Inputs must have the run's number of channels (4D NIfTI for several).
 *
 * @example
 * const written = await runPredict({ run: 'runs/searched', input: 'data/imagesTs', out: 'runs/pred', mirror: true });
 * written[0].output; // 'runs/pred/case_001.nii.gz', on case_001's own grid
 */
export async function runPredict(flags: PredictFlags, log: (line: string) => void = () => {}): Promise<PredictedCase[]> {
  if (!flags.run) throw new UsageError('voxnas predict: --run <train-run> is required');
  if (!flags.input) throw new UsageError('voxnas predict: --input <file.nii[.gz] | dir> is required');
  const output = flags.out ?? flags.output;
  if (!output) throw new UsageError('voxnas predict: --out <dir> is required');
  const runDir = resolve(flags.run);
  const exported = existsSync(join(runDir, 'model-card.json'));
  let settings: { patchSize: [number, number, number]; inference: VoxnasConfig['inference'] };
  let facts: { orientation: string | null; modalities: string[] };
  if (exported) {
    // A directory written by `voxnas export`: the model card carries what the run's files would.
    const { card } = await loadExportedCard(runDir);
    // custom operators travel with the model: load the plugin modules its card records (or name the missing one)
    await loadExportedPlugins(runDir, card, `voxnas predict --run ${flags.run}`);
    settings = { patchSize: card.patchSize, inference: card.inference };
    facts = card.preprocessing;
  } else {
    const cfg = await readRunConfig(runDir, 'predict');
    settings = { patchSize: cfg.data.patchSize, inference: cfg.inference };
    facts = await trainingDataFacts(runDir);
  }
  const inputs = await listNiftiFiles(resolve(flags.input), '--input');
  await initBackend({ logger: log });
  const { network, spec } = await loadNetwork({
    specDir: runDir,
    weightsDir: exported ? runDir : join(runDir, 'model'),
    source: `voxnas predict --run ${flags.run}`,
  });
  const channels = spec.kind === 'unet' ? spec.options.inputChannels : spec.genotype.macro.inputChannels;
  const out = resolve(output);
  await mkdir(out, { recursive: true });
  const results: PredictedCase[] = [];
  try {
    for (const file of inputs) {
      const image = await readNifti(file);
      if (image.channels !== channels) {
        throw new ConfigError(
          `voxnas predict --input ${file}: the image has ${image.channels} channel(s), the model expects ${channels}` +
            (facts.modalities.length ? ` (${facts.modalities.join(', ')})` : ''),
        );
      }
      const target = join(out, `${caseName(file)}.nii.gz`);
      const onGrid = await predictCase(image, (x) => network.apply(x), {
        preprocess: (v: Volume) => normalizeImage(facts.orientation && orientationCode(v) !== facts.orientation ? reorient(v, facts.orientation) : v),
        windowSize: settings.patchSize,
        overlap: settings.inference.overlap,
        batchSize: settings.inference.windowsPerBatch,
        mirror: flags.mirror ?? settings.inference.mirror,
      });
      const labels = await writePrediction(onGrid, { reference: image, path: target });
      const counts: number[] = [];
      for (const v of labels.data) counts[v] = (counts[v] ?? 0) + 1;
      results.push({ input: file, output: target, shape: labels.shape, labelCounts: Array.from(counts, (c) => c ?? 0) });
      log(`voxnas predict: ${file} → ${target}`);
    }
  } finally {
    network.dispose();
  }
  return results;
}

/** `voxnas predict`. */
export const predictCommand = defineCommand({
  name: 'predict',
  summary: "segment images with a trained run's model; writes label maps on each input's own grid",
  usage: '--run <train-run | exported-model> --input <file.nii[.gz] | dir> --out <dir> [--mirror] [--json]',
  flags: {
    run: { type: 'string', value: '<train-run | exported-model>', description: 'a train run directory, or a model directory written by voxnas export' },
    input: { type: 'string', value: '<file.nii[.gz] | dir>', description: 'one NIfTI image, or a directory of .nii/.nii.gz images (one channel per modality: 4D NIfTI for several)' },
    out: { type: 'string', value: '<dir>', description: 'directory for the label maps (<out>/<case>.nii.gz, on each input\'s grid); created if missing' },
    output: { type: 'string', value: '<dir>', aliasOf: 'out' },
    mirror: { type: 'boolean', config: 'inference.mirror', default: "the run's inference.mirror" },
    json: { type: 'boolean', description: 'print the written files as JSON' },
  },
  async run({ flags, io, log }) {
    const r = await runPredict(flags, log);
    io.out(flags.json ? JSON.stringify(r, null, 2) : r.map((c) => `${c.input} → ${c.output}`).join('\n'));
    return 0;
  },
});
