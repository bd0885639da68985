import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { initBackend } from '@voxnas/ops';
import { predictCaseWithProbabilities } from '@voxnas/train';
import { writePrediction, writeProbabilities } from '@voxnas/train/node';
import { readNifti } from '@voxnas/volume/node';
import { createVolume, type Volume } from '@voxnas/volume';
import { ConfigError, UsageError } from '../errors.js';
import { defineCommand } from '../command.js';
import { prepareForNetwork, type Preparation } from '@voxnas/datasets';
import { readPreparation } from '../pipeline/data.js';
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
  /** Also write `<out>/<case>_probabilities.nii.gz`: the class probabilities (4-D float32) on the input's grid. */
  'save-probabilities'?: boolean;
}

/** One written prediction. */
export interface PredictedCase {
  /** The case's first input file. */
  readonly input: string;
  /** Every input file of the case, in channel order (several for nnU-Net-style `case_0000`, `case_0001`, …). */
  readonly inputs: readonly string[];
  readonly output: string;
  /** The probabilities file (with `--save-probabilities`), else null. */
  readonly probabilities: string | null;
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

/** One input case: its name and its files in channel order. */
export interface InputCase {
  readonly name: string;
  readonly files: readonly string[];
}

const CHANNEL_FILE = /^(.+)_(\d{4})\.nii(\.gz)?$/i;

/**
 * Groups NIfTI files into cases: nnU-Net-style channel files `<case>_0000.nii.gz`, `<case>_0001.nii.gz`,
 * … form one case with those channels (indices must run 0, 1, … without gaps); any other file is a
 * case of its own (3-D, or 4-D with its channels).
 *
 * @example
 * groupInputCases(['a_0000.nii.gz', 'a_0001.nii.gz', 'b.nii.gz']); // [{ name: 'a', files: [2] }, { name: 'b', files: [1] }]
 */
export function groupInputCases(files: readonly string[]): InputCase[] {
  const groups = new Map<string, Map<number, string>>();
  const out: { name: string; files: string[] }[] = [];
  for (const f of files) {
    const m = CHANNEL_FILE.exec(basename(f));
    if (!m) {
      out.push({ name: caseName(f), files: [f] });
      continue;
    }
    const g = groups.get(m[1]!) ?? new Map<number, string>();
    g.set(Number(m[2]), f);
    groups.set(m[1]!, g);
  }
  for (const [name, g] of groups) {
    const idx = [...g.keys()].sort((a, b) => a - b);
    if (idx.some((k, i) => k !== i)) {
      throw new ConfigError(`voxnas predict --input: case ${name} has channel files ${idx.map((k) => `_${String(k).padStart(4, '0')}`).join(', ')}, expected _0000 … _${String(idx.length - 1).padStart(4, '0')} without gaps`);
    }
    out.push({ name, files: idx.map((k) => g.get(k)!) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Reads one input case; channel files must share one grid (shape and affine within 1e-3 mm). */
async function readInputCase(c: InputCase): Promise<Volume> {
  const parts = await Promise.all(c.files.map((f) => readNifti(f, { kind: 'image' })));
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const n = first.shape[0] * first.shape[1] * first.shape[2];
  const data = new Float32Array(n * parts.length);
  parts.forEach((p, k) => {
    const same = p.channels === 1 && p.shape.every((s, a) => s === first.shape[a]) && p.affine.every((x, i) => Math.abs(x - first.affine[i]!) <= 1e-3);
    if (!same) {
      throw new ConfigError(
        `voxnas predict --input: case ${c.name}: channel ${k} (${basename(c.files[k]!)}) is on grid [${p.shape.join(', ')}]×${p.channels}, expected [${first.shape.join(', ')}]×1 with the affine of channel 0 (${basename(c.files[0]!)})`,
      );
    }
    data.set(p.data as ArrayLike<number>, k * n);
  });
  return createVolume({ data, shape: first.shape, channels: parts.length, affine: first.affine });
}

/**
 * `voxnas predict`: rebuilds a train run's network (`network.json` + `model/` weights; or a model
 * directory written by `voxnas export`, whose model card gives the same settings), and for each
 * input case prepares it as the run's `plan.json` says (reorient to the training orientation, crop to
 * non-zero, normalise, resample to the target spacing; runs without a plan: per-case z-score),
 * predicts by sliding windows (the run's `inference` settings; `--mirror` adds test-time mirroring),
 * resamples the class *probabilities* back onto the input's grid and uncropped extent, takes the
 * argmax there and writes the label map to `<out>/<case>.nii.gz` (shape and affine checked after
 * writing; `--save-probabilities` also writes `<case>_probabilities.nii.gz`). Inputs have the run's
 * channels: a 4-D NIfTI, or nnU-Net-style channel files `<case>_0000.nii.gz`, `<case>_0001.nii.gz`, ….
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
  let preparation: Preparation | null;
  if (exported) {
    // A directory written by `voxnas export`: the model card carries what the run's files would.
    const { card } = await loadExportedCard(runDir);
    // custom operators travel with the model: load the plugin modules its card records (or name the missing one)
    await loadExportedPlugins(runDir, card, `voxnas predict --run ${flags.run}`);
    settings = { patchSize: card.patchSize, inference: card.inference };
    facts = card.preprocessing;
    preparation = await readPreparation(card.preprocessing.plan, `${join(runDir, 'model-card.json')} preprocessing.plan`);
  } else {
    const cfg = await readRunConfig(runDir, 'predict');
    settings = { patchSize: cfg.data.patchSize, inference: cfg.inference };
    facts = await trainingDataFacts(runDir);
    preparation = await readPreparation(join(runDir, 'plan.json'), join(runDir, 'plan.json'));
  }
  const inputs = groupInputCases(await listNiftiFiles(resolve(flags.input), '--input'));
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
    for (const c of inputs) {
      const file = c.files[0]!;
      const image = await readInputCase(c);
      if (image.channels !== channels) {
        throw new ConfigError(
          `voxnas predict --input ${c.files.length > 1 ? `case ${c.name}` : file}: the image has ${image.channels} channel(s), the model expects ${channels}` +
            (facts.modalities.length ? ` (${facts.modalities.join(', ')})` : ''),
        );
      }
      const target = join(out, `${c.name}.nii.gz`);
      const prediction = await predictCaseWithProbabilities(image, (x) => network.apply(x), {
        preprocess: (v: Volume) => prepareForNetwork(v, { preparation, orientation: facts.orientation }),
        windowSize: settings.patchSize,
        overlap: settings.inference.overlap,
        batchSize: settings.inference.windowsPerBatch,
        mirror: flags.mirror ?? settings.inference.mirror,
      });
      const labels = await writePrediction(prediction.labels, { reference: image, path: target });
      let probabilities: string | null = null;
      if (flags['save-probabilities']) {
        probabilities = join(out, `${c.name}_probabilities.nii.gz`);
        await writeProbabilities(prediction.probabilities, { reference: image, path: probabilities });
      }
      const counts: number[] = [];
      for (const v of labels.data) counts[v] = (counts[v] ?? 0) + 1;
      results.push({ input: file, inputs: c.files, output: target, probabilities, shape: labels.shape, labelCounts: Array.from(counts, (n) => n ?? 0) });
      log(`voxnas predict: ${c.files.join(' + ')} → ${target}`);
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
  usage: '--run <train-run | exported-model> --input <file.nii[.gz] | dir> --out <dir> [--mirror] [--save-probabilities] [--json]',
  flags: {
    run: { type: 'string', value: '<train-run | exported-model>', description: 'a train run directory, or a model directory written by voxnas export' },
    input: {
      type: 'string',
      value: '<file.nii[.gz] | dir>',
      description: 'one NIfTI image, or a directory of .nii/.nii.gz images; several channels as a 4D NIfTI or as nnU-Net-style files <case>_0000.nii.gz, <case>_0001.nii.gz, …',
    },
    out: { type: 'string', value: '<dir>', description: 'directory for the label maps (<out>/<case>.nii.gz, on each input\'s grid); created if missing' },
    output: { type: 'string', value: '<dir>', aliasOf: 'out' },
    mirror: { type: 'boolean', config: 'inference.mirror', default: "the run's inference.mirror" },
    'save-probabilities': { type: 'boolean', description: 'also write <out>/<case>_probabilities.nii.gz: class probabilities (4-D float32) on the input grid' },
    json: { type: 'boolean', description: 'print the written files as JSON' },
  },
  async run({ flags, io, log }) {
    const r = await runPredict(flags, log);
    io.out(flags.json ? JSON.stringify(r, null, 2) : r.map((c) => `${c.input} → ${c.output}`).join('\n'));
    return 0;
  },
});
