import { loadWeights } from '@voxnas/ops/node';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Module, WeightsFormatError, type Network } from '@voxnas/ops';
import { genotypeCost } from '@voxnas/supernet';
import { Rng } from '@voxnas/core';
import { readNifti } from '@voxnas/volume/node';
import { orientationCode, spacingMm } from '@voxnas/volume';
import type { VoxnasConfig } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import { MODEL_CARD_FILE, readJsonFile, readNetworkSpec, readRunConfigFile } from '../run-files.js';
import { atomicWrite } from '@voxnas/core/node';
import { buildNetwork, countParameters, type NetworkSpec } from '../pipeline/network.js';
import { NORMALIZATION } from '../pipeline/data.js';
import { loadPlugins, loadRecordedPlugins, recordPlugins, type PluginRecord } from '../pipeline/plugins.js';
import { exportOnnx, OnnxExportError } from '@voxnas/onnx';
import { packageVersions } from './doctor.js';

/** `model-card.json` of an exported model: what it is, what it expects, how well it did. */
export interface ModelCard {
  readonly format: 'voxnas-model-card@1';
  readonly createdAt: string;
  readonly architecture:
    | { readonly kind: 'unet'; readonly options: Record<string, unknown> }
    | { readonly kind: 'child'; readonly origin: string; readonly genotype: unknown };
  readonly parameters: number;
  /** FLOPs of one forward pass of a training patch (searched/child networks only). */
  readonly flops: number | null;
  readonly preprocessing: {
    readonly normalization: string;
    /** Voxel spacing in mm (x, y, z) of the first preprocessed training case. */
    readonly spacingMm: [number, number, number] | null;
    /** Orientation code (e.g. 'RAS') of the training data; `voxnas predict` reorients inputs to it. */
    readonly orientation: string | null;
    readonly modalities: string[];
    /** Label value → name, background included. */
    readonly labels: Record<string, string>;
    /** The run's `plan.json` (fingerprint, target spacing, crop, normalisation): `voxnas predict` prepares inputs with it. */
    readonly plan?: unknown;
  };
  /** Patch size in voxels, x y z (the sliding-window size). */
  readonly patchSize: [number, number, number];
  readonly inference: VoxnasConfig['inference'];
  /** Validation metrics of the run (`metrics.json` summary), or null if the run has none. */
  readonly validation: unknown;
  readonly seed: number;
  readonly packages: Record<string, string>;
  /** Label value → display colour [r, g, b] (0–255), background included (viewers such as the web app use it). */
  readonly labelColors?: Record<string, [number, number, number]>;
  /** Plugin modules the run's config loaded and the operators each registered; `voxnas predict` and `loadExportedModel` load them. */
  readonly plugins?: readonly PluginRecord[];
  /** Files of the export (`model.onnx` with `--format onnx`). */
  readonly files?: readonly string[];
}

/** Display colours of label values 1, 2, … (cycled); 0 (background) is black. */
export const LABEL_COLORS: ReadonlyArray<[number, number, number]> = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [255, 225, 25],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
];

/** Colour of every label value of `labels` (background black, then {@link LABEL_COLORS} in value order). */
export function labelColors(labels: Record<string, string>): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const key of Object.keys(labels).sort((a, b) => Number(a) - Number(b))) {
    const v = Number(key);
    out[key] = v === 0 ? [0, 0, 0] : [...LABEL_COLORS[(v - 1) % LABEL_COLORS.length]!];
  }
  return out;
}

/**
 * The `metadata_props` of an exported `model.onnx`: the whole card (`voxnas.model_card`) and the
 * fields a runtime needs, each as a string (JSON for structures).
 */
export function onnxMetadata(card: ModelCard, spec: NetworkSpec): Record<string, string> {
  const channels = spec.kind === 'unet' ? (spec.options.inputChannels ?? 1) : spec.genotype.macro.inputChannels;
  const classes = spec.kind === 'unet' ? (spec.options.classes ?? 2) : spec.genotype.macro.classes;
  return {
    'voxnas.model_card': JSON.stringify(card),
    'voxnas.input_channels': String(channels),
    'voxnas.classes': String(classes),
    'voxnas.labels': JSON.stringify(card.preprocessing.labels),
    'voxnas.label_colors': JSON.stringify(card.labelColors ?? labelColors(card.preprocessing.labels)),
    'voxnas.modalities': JSON.stringify(card.preprocessing.modalities),
    'voxnas.spacing_mm': JSON.stringify(card.preprocessing.spacingMm),
    'voxnas.orientation': card.preprocessing.orientation ?? '',
    'voxnas.normalization': card.preprocessing.normalization,
    'voxnas.patch_size': JSON.stringify(card.patchSize),
    'voxnas.inference': JSON.stringify(card.inference),
    'voxnas.plugins': JSON.stringify(card.plugins ?? []),
  };
}

/** Operators (registry names) a network spec uses. */
function specOperators(spec: NetworkSpec): string[] {
  return spec.kind === 'child' ? Object.values(spec.genotype.choices) : [];
}

const FILES: readonly string[] = ['model.json', 'weights.bin', 'network.json', 'model-card.json'];

/** A network rebuilt from an exported model (or a train run) with its weights loaded. */
export interface LoadedModel {
  readonly network: Network;
  readonly spec: NetworkSpec;
  /** The model card, when the directory has one (exported models do; train runs do not). */
  readonly card: ModelCard | null;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  if (!existsSync(path)) throw new ConfigError(`${what}: ${path} is missing`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (cause) {
    throw new ConfigError(`${what}: ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Rebuilds the network of `network.json` in `specDir` and loads the weights (`model.json` +
 * `weights.bin`) of `weightsDir` into it. Missing or corrupt files raise a typed error naming the file:
 * {@link ConfigError} for `network.json`, `WeightsFormatError` for the weights.
 */
export async function loadNetwork(options: { specDir: string; weightsDir: string; source?: string }): Promise<{ network: Network; spec: NetworkSpec }> {
  const source = options.source ?? 'loadNetwork';
  const spec = await readNetworkSpec(join(options.specDir, 'network.json'), source);
  for (const f of ['model.json', 'weights.bin']) {
    const p = join(options.weightsDir, f);
    if (!existsSync(p)) throw new WeightsFormatError(`${source}: ${p} is missing`);
  }
  // The initial weights are overwritten by loadWeights; the seed only has to be fixed.
  const network = buildNetwork(spec, new Rng(0).fork('init'));
  try {
    await loadWeights(network, options.weightsDir);
  } catch (e) {
    network.dispose();
    throw e;
  }
  network.eval();
  return { network, spec };
}

/**
 * Loads a model written by `voxnas export` (`network.json`, `model.json`, `weights.bin`,
 * `model-card.json`): rebuilds the network and loads its weights, in eval mode. The caller disposes
 * `network`. Missing or corrupt files raise a typed error naming the file.
 *
 * @example
 * const { network, card } = await loadExportedModel('exported/liver');
 * const logits = network.apply(x); // x: [1, z, y, x, channels], z-scored per channel
 * network.dispose();
 */
export async function loadExportedModel(dir: string): Promise<LoadedModel> {
  const root = resolve(dir);
  const cardPath = join(root, 'model-card.json');
  const card: ModelCard | null = existsSync(cardPath) ? await readJsonFile(cardPath, MODEL_CARD_FILE, `loadExportedModel(${dir})`) : null;
  if (card !== null) await loadExportedPlugins(root, card, `loadExportedModel(${dir})`);
  const { network, spec } = await loadNetwork({ specDir: root, weightsDir: root, source: `loadExportedModel(${dir})` });
  return { network, spec, card };
}

/**
 * Loads the plugin modules an exported model's card records (before its network is rebuilt), or
 * raises a `PluginError` naming exactly which module is missing or changed.
 */
export async function loadExportedPlugins(dir: string, card: ModelCard, source = `model ${dir}`): Promise<void> {
  let operators: string[] = [];
  const spec = join(dir, 'network.json');
  if (existsSync(spec)) operators = specOperators(await readNetworkSpec(spec, source));
  await loadRecordedPlugins({ plugins: card.plugins, operators, source });
}

/** Reads the `model-card.json` of an exported model directory (ConfigError naming it when missing or corrupt). */
export async function loadExportedCard(dir: string): Promise<{ card: ModelCard }> {
  const card: ModelCard = await readJsonFile(join(dir, 'model-card.json'), MODEL_CARD_FILE, `model ${dir}`);
  return { card };
}

/** Reads a train run's resolved config (`config.json`, format `voxnas-run@1`). */
export async function readRunConfig(runDir: string, command: string): Promise<VoxnasConfig> {
  const file = join(runDir, 'config.json');
  const cfg = await readRunConfigFile(file, `voxnas ${command} --run ${runDir}`);
  await loadPlugins(cfg); // the run's network may use their operators
  return cfg;
}

/** Facts about a run's training data, from its `preprocessed/` copy. */
export async function trainingDataFacts(runDir: string): Promise<{
  spacingMm: [number, number, number] | null;
  orientation: string | null;
  modalities: string[];
  labels: Record<string, string>;
}> {
  const dsPath = join(runDir, 'preprocessed', 'dataset.json');
  if (!existsSync(dsPath)) return { spacingMm: null, orientation: null, modalities: [], labels: {} };
  const ds = await readJson<{
    modality?: Record<string, string>;
    labels?: Record<string, string>;
    training?: Array<{ image: string }>;
  }>(dsPath, `run ${runDir}`);
  const modalities = Object.entries(ds.modality ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, m]) => m);
  let spacing: [number, number, number] | null = null;
  let orientation: string | null = null;
  const first = ds.training?.[0]?.image;
  if (first) {
    const v = await readNifti(join(runDir, 'preprocessed', first));
    const s = spacingMm(v);
    spacing = [round6(s[0]!), round6(s[1]!), round6(s[2]!)];
    orientation = orientationCode(v);
  }
  return { spacingMm: spacing, orientation, modalities, labels: ds.labels ?? {} };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Flags of `voxnas export`. */
export interface ExportFlags {
  run?: string;
  out?: string;
  /** `tfjs` (default): weights manifest + weights.bin, network.json, model card; `onnx`: the same plus `model.onnx`. */
  format?: string;
}

/** Formats `voxnas export --format` accepts. */
export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;

/** What `voxnas export` wrote. */
export interface ExportResult {
  readonly dir: string;
  readonly files: readonly string[];
  readonly parameters: number;
  readonly card: ModelCard;
}

/**
 * `voxnas export`: copies a train run's weights (`model.json` tfjs weights manifest + `weights.bin`,
 * loadable with `tf.io.loadWeights` in a browser) and `network.json` into `out`, and writes
 * `model-card.json` (architecture, parameters, preprocessing, patch size and inference settings,
 * validation metrics, package versions). The directory appears whole or not at all (written to a
 * temporary sibling, then renamed).
 *
 * @example
 * const { dir, parameters, card } = await runExport({ run: 'runs/searched', out: 'models/searched' });
 */
export async function runExport(flags: ExportFlags): Promise<ExportResult> {
  if (!flags.run) throw new UsageError('voxnas export: --run <train-run> is required');
  if (!flags.out) throw new UsageError('voxnas export: --out <dir> is required');
  const format = flags.format ?? 'tfjs';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`voxnas export: --format is '${format}', expected one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const runDir = resolve(flags.run);
  const out = resolve(flags.out);
  if (existsSync(out) && (await readdir(out)).length > 0) {
    throw new ConfigError(`voxnas export --out ${flags.out}: the directory exists and is not empty; choose another --out`);
  }
  const cfg = await readRunConfig(runDir, 'export');
  const { network, spec } = await loadNetwork({ specDir: runDir, weightsDir: join(runDir, 'model'), source: `voxnas export --run ${flags.run}` });
  const plugins = await recordPlugins(cfg);
  let card: ModelCard;
  let onnx: Uint8Array | undefined;
  try {
    const parameters = countParameters(network);
    const facts = await trainingDataFacts(runDir);
    const metricsPath = join(runDir, 'metrics.json');
    const validation = existsSync(metricsPath)
      ? (await readJson<{ summary?: unknown }>(metricsPath, `voxnas export --run ${flags.run}`)).summary ?? null
      : null;
    let flops: number | null = null;
    if (spec.kind === 'child') {
      const [px, py, pz] = cfg.data.patchSize;
      flops = genotypeCost(spec.genotype, { inputShape: [1, pz, py, px, spec.genotype.macro.inputChannels] }).flops;
    }
    card = {
      format: 'voxnas-model-card@1',
      createdAt: new Date().toISOString(),
      architecture:
        spec.kind === 'unet'
          ? { kind: 'unet', options: { ...spec.options } }
          : { kind: 'child', origin: spec.origin, genotype: spec.genotype },
      parameters,
      flops,
      preprocessing: { normalization: NORMALIZATION, ...facts, ...(existsSync(join(runDir, 'plan.json')) ? { plan: await readJson<unknown>(join(runDir, 'plan.json'), `voxnas export --run ${flags.run}`) } : {}) },
      patchSize: cfg.data.patchSize,
      inference: cfg.inference,
      validation,
      seed: cfg.seed,
      packages: packageVersions(),
      labelColors: labelColors(facts.labels),
      plugins,
      files: format === 'onnx' ? [...FILES, 'model.onnx'] : FILES,
    };
    if (format === 'onnx') {
      // UNet and ChildNetwork are modules with emitOnnx; `Network` is the interface they share.
      // Transposed convolutions as zero insertion + Conv (equal values): ONNX Runtime Web's WebGPU
      // kernels have no 3-D ConvTranspose, and every other runtime runs Conv.
      if (!(network instanceof Module)) throw new OnnxExportError(`voxnas export --format onnx: the ${spec.kind} network is not a voxnas Module`);
      onnx = exportOnnx(network, {
        producerVersion: packageVersions().voxnas ?? '',
        metadata: onnxMetadata(card, spec),
        convTranspose: 'conv',
      });
    }
  } finally {
    network.dispose();
  }
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await copyFile(join(runDir, 'model', 'model.json'), join(tmp, 'model.json'));
    await copyFile(join(runDir, 'model', 'weights.bin'), join(tmp, 'weights.bin'));
    await copyFile(join(runDir, 'network.json'), join(tmp, 'network.json'));
    await atomicWrite(join(tmp, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
    if (onnx !== undefined) await atomicWrite(join(tmp, 'model.onnx'), onnx);
    if (existsSync(out)) await rm(out, { recursive: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: out, files: card.files ?? FILES, parameters: card.parameters, card };
}
