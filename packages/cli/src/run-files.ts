import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { FormatError } from '@voxnas/core';
import { validateGenotype, type Genotype } from '@voxnas/supernet';
import { UNET_NORMS, UNET_UPSAMPLINGS } from '@voxnas/unet';
import { resolveConfig, type VoxnasConfig } from './config.js';
import { ConfigError } from './errors.js';

// What the CLI reads back from disk (run directories, exported models) goes through these parsers:
// a missing file or invalid JSON is a ConfigError naming the file, a wrong shape a FormatError
// (E_FORMAT) listing every bad field — never `JSON.parse(…) as T`.

function fmt(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  return v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * One line per problem of a failed zod parse: `<field path>: expected …, got …`.
 *
 * @example
 * zodIssues(schema.safeParse(value).error!, value); // ["kind: expected one of 'unet', 'child', got 'x'"]
 */
export function zodIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    const got = valueAt(input, issue.path);
    switch (issue.code) {
      case 'invalid_value':
        return `${where}: expected ${issue.values.length === 1 ? fmt(issue.values[0]) : `one of ${issue.values.map(fmt).join(', ')}`}, got ${fmt(got)}`;
      case 'invalid_type':
        return `${where}: expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${got === undefined ? 'nothing' : fmt(got)}`;
      case 'invalid_union':
        return `${where}: ${issue.message.replace(/^Invalid discriminator value\. Expected /, 'expected one of ').replaceAll(' | ', ', ')}, got ${fmt(got)}`;
      case 'unrecognized_keys':
        return `${where}: unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      default:
        return `${where}: ${issue.message.replace(/^Invalid input: /, '')}, got ${fmt(got)}`;
    }
  });
}

/**
 * Parses `value` (read from `source`) with `schema`; a mismatch is a {@link FormatError} naming the
 * source and every bad field.
 *
 * @example
 * const arch = parseWith(ARCH_FILE, JSON.parse(text), 'runs/a/arch.json');
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, what?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new FormatError(source, zodIssues(r.error, value), what ? { what } : {});
}

/**
 * Reads a JSON file and parses it with `schema`: {@link ConfigError} when it is missing or not JSON
 * (`where` starts the message: the command or function reading it), {@link FormatError} when its
 * content does not fit.
 *
 * @example
 * const spec = await readJsonFile('runs/a/network.json', NETWORK_SPEC, 'voxnas predict --run runs/a');
 */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S, where: string): Promise<z.output<S>> {
  if (!existsSync(path)) throw new ConfigError(`${where}: ${path} is missing`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`${where}: ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseWith(schema, value, path, `not a valid ${basename(path)}`);
}

/** Like {@link readJsonFile}, but null when the file does not exist. */
export async function readJsonFileIf<S extends z.ZodType>(path: string, schema: S, where: string): Promise<z.output<S> | null> {
  return existsSync(path) ? readJsonFile(path, schema, where) : null;
}

const positiveInt = z.int().min(1);

/** `config.json` of a run directory (written by `openRunDir`): the resolved config and provenance. */
export const RUN_CONFIG_FILE = z.looseObject({
  format: z.literal('voxnas-run@1'),
  config: z.record(z.string(), z.unknown()),
});

/**
 * Reads a run's `config.json`: its format checked ({@link FormatError}) and its config resolved
 * ({@link ConfigError} naming the file and field). A saved config without `search.alphaSharing` was
 * written before that field existed, when every search used the per-edge layout: it reads as `edge`
 * (the default is `cell` since), so its checkpoints still load into the supernet they were saved from.
 *
 * @example
 * const cfg = await readRunConfigFile('runs/a/config.json', 'voxnas predict --run runs/a');
 */
export async function readRunConfigFile(path: string, where: string): Promise<VoxnasConfig> {
  const saved = await readJsonFile(path, RUN_CONFIG_FILE, where);
  const search = saved.config.search;
  const legacy = search !== null && typeof search === 'object' && !Array.isArray(search) && !('alphaSharing' in search);
  return resolveConfig(legacy ? { ...saved.config, search: { ...search, alphaSharing: 'edge' } } : saved.config, path);
}

/** The U-Net options a `network.json` stores (UNet's own defaults fill the rest). */
export const UNET_SPEC_OPTIONS = z.strictObject({
  levels: positiveInt.optional(),
  baseChannels: positiveInt.optional(),
  convsPerLevel: positiveInt.optional(),
  norm: z.enum(UNET_NORMS).optional(),
  groups: positiveInt.optional(),
  upsampling: z.enum(UNET_UPSAMPLINGS).optional(),
  deepSupervision: z.boolean().optional(),
  inputChannels: positiveInt.optional(),
  classes: positiveInt.optional(),
});

/** `network.json` (of a train run or an exported model) before its genotype is validated. */
export const NETWORK_SPEC_FILE = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('unet'), options: UNET_SPEC_OPTIONS }),
  z.strictObject({ kind: z.literal('child'), genotype: z.unknown(), origin: z.enum(['searched', 'random', 'file']) }),
]);

/**
 * What network a run trains, as JSON (`network.json` of a run, and of an exported model): enough to
 * rebuild it anywhere voxnas runs, then load its weights.
 */
export type NetworkSpec =
  | { readonly kind: 'unet'; readonly options: z.output<typeof UNET_SPEC_OPTIONS> }
  | { readonly kind: 'child'; readonly genotype: Genotype; readonly origin: 'searched' | 'random' | 'file' };

/**
 * Reads a `network.json`: shape checked ({@link FormatError}), genotype validated (`GenotypeError`).
 *
 * @example
 * const spec = await readNetworkSpec('runs/a/network.json', 'voxnas export --run runs/a');
 */
export async function readNetworkSpec(path: string, where: string): Promise<NetworkSpec> {
  const raw = await readJsonFile(path, NETWORK_SPEC_FILE, where);
  if (raw.kind === 'unet') return raw;
  return { kind: 'child', genotype: validateGenotype(raw.genotype, { source: path }), origin: raw.origin };
}

/** `arch.json` of a train run: the `--arch` / `--match` it was started with (absolute paths). */
export const ARCH_FILE = z.strictObject({ arch: z.string().min(1).optional(), match: z.string().min(1).optional() });

/** `search.json` of a search run (fields optional when reading: older runs and hand-made fixtures). */
export const SEARCH_SUMMARY_FILE = z.looseObject({
  runDir: z.string().optional(),
  steps: z.int().min(0).optional(),
  bestStep: z.int().optional(),
  bestScore: z.number().nullable().optional(),
  genotypePath: z.string().optional(),
  params: z.int().min(0).optional(),
  flops: z.number().min(0).optional(),
  warnings: z.array(z.string()).optional(),
  resumedFrom: z.int().nullable().optional(),
});

/** `train.json` of a train run (fields optional when reading). */
export const TRAIN_SUMMARY_FILE = z.looseObject({
  runDir: z.string().optional(),
  arch: z.string().optional(),
  params: z.int().min(0).optional(),
  dice: z.record(z.string(), z.number().nullable()).optional(),
  meanDice: z.number().nullable().optional(),
  hd95: z.record(z.string(), z.number().nullable()).optional(),
  steps: z.int().min(0).optional(),
  resumedFrom: z.int().nullable().optional(),
});

const metricStat = z.looseObject({ mean: z.number().nullable(), std: z.number().nullable(), n: z.int().min(0) });

/** `metrics.json` of a train run or of `voxnas evaluate --out` (the parts voxnas reads back). */
export const METRICS_FILE = z.looseObject({
  cases: z.array(
    z.looseObject({
      caseId: z.string(),
      result: z.looseObject({
        classes: z.array(z.looseObject({ name: z.string(), metrics: z.record(z.string(), z.number().nullable()) })),
      }),
    }),
  ),
  summary: z.looseObject({
    cases: z.int().min(0),
    classes: z.array(z.looseObject({ name: z.string(), metrics: z.record(z.string(), metricStat) })),
    foregroundMean: z.record(z.string(), z.number().nullable()),
  }),
});

/** `model-card.json` of an exported model. */
export const MODEL_CARD_FILE = z.looseObject({
  format: z.literal('voxnas-model-card@1'),
  createdAt: z.string(),
  architecture: z.discriminatedUnion('kind', [
    z.looseObject({ kind: z.literal('unet'), options: z.record(z.string(), z.unknown()) }),
    z.looseObject({ kind: z.literal('child'), origin: z.string(), genotype: z.unknown() }),
  ]),
  parameters: z.int().min(0),
  flops: z.number().min(0).nullable(),
  preprocessing: z.looseObject({
    normalization: z.string(),
    spacingMm: z.tuple([z.number(), z.number(), z.number()]).nullable(),
    orientation: z.string().nullable(),
    modalities: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
  }),
  patchSize: z.tuple([positiveInt, positiveInt, positiveInt]),
  inference: z.looseObject({ overlap: z.number().min(0).max(0.95), mirror: z.boolean(), windowsPerBatch: positiveInt }),
  validation: z.unknown(),
  seed: z.int().min(0),
  packages: z.record(z.string(), z.string()),
  labelColors: z.record(z.string(), z.tuple([z.int().min(0).max(255), z.int().min(0).max(255), z.int().min(0).max(255)])).optional(),
  plugins: z
    .array(
      z.discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('file'), path: z.string(), sha256: z.string(), operators: z.array(z.string()) }),
        z.strictObject({ kind: z.literal('package'), name: z.string(), version: z.string().nullable(), operators: z.array(z.string()) }),
      ]),
    )
    .optional(),
  files: z.array(z.string()).optional(),
});
