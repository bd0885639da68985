import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import { didYouMean } from '@voxnas/core';
import { HUMAN_DEEP_GREY, MACAQUE_BASAL_GANGLIA, PLANTED_FAMILIES, type AtlasTaskSpec, type PlantedTask } from '@voxnas/datasets';
import { parseGenotype, type Genotype } from '@voxnas/supernet';
import { readConfigFile, validateConfig } from '../config.js';
import { expectedText, type JsonSchema } from '../config-json-schema.js';
import { ExperimentSpecError } from './errors.js';
import { EXPERIMENT_SPEC_SCHEMA, type ExperimentSpec } from './spec-schema.js';

/** The atlas tasks a spec can name as `atlas:<task>`. */
export const ATLAS_TASKS: Readonly<Record<string, AtlasTaskSpec>> = {
  [HUMAN_DEEP_GREY.task]: HUMAN_DEEP_GREY,
  [MACAQUE_BASAL_GANGLIA.task]: MACAQUE_BASAL_GANGLIA,
};

/** Where a task's data comes from. */
export type TaskSource =
  | { readonly kind: 'phantom' }
  | { readonly kind: 'planted'; readonly task: PlantedTask }
  | { readonly kind: 'atlas'; readonly atlas: AtlasTaskSpec }
  | { readonly kind: 'directory'; readonly path: string };

/** A validated spec with everything relative resolved. */
export interface ResolvedSpec {
  readonly spec: ExperimentSpec;
  /** The spec file (null for a spec given as an object). */
  readonly file: string | null;
  /** Relative paths of the spec are relative to this directory. */
  readonly baseDir: string;
  /** The study's name (spec `name`, else the file name without extension). */
  readonly name: string;
  /** Per task (same order as `spec.tasks`): where its data comes from. */
  readonly sources: readonly TaskSource[];
  /** Per arm of kind `genotype`: the parsed file (by arm name). */
  readonly genotypes: ReadonlyMap<string, { readonly path: string; readonly genotype: Genotype }>;
  /** sha256 of the canonical resolved spec. */
  readonly hash: string;
}

/** Fields of the run config that the experiment sets itself, with what to use instead. */
const RESERVED_CONFIG_FIELDS: Readonly<Record<string, string>> = {
  seed: "the spec's `seeds`",
  'data.dataset': "the task's `dataset`",
  'data.phantomCases': "the task's `phantom.cases`",
};

let cachedSchema: JsonSchema | null = null;
function specJsonSchema(): JsonSchema {
  cachedSchema ??= z.toJSONSchema(EXPERIMENT_SPEC_SCHEMA, { target: 'draft-7', io: 'input' }) as JsonSchema;
  return cachedSchema;
}

/** `tasks[1].dataset` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** The JSON schema of the field at `path`, choosing the `oneOf` branch by the input's `kind`. */
function schemaAt(path: readonly PropertyKey[], input: unknown): JsonSchema | undefined {
  let node: JsonSchema | undefined = specJsonSchema();
  for (let i = 0; i < path.length && node; i++) {
    node = branch(node, valueAt(input, path.slice(0, i)));
    const k = path[i]!;
    node = typeof k === 'number' ? (node?.items as JsonSchema | undefined) : node?.properties?.[String(k)];
  }
  return node ? branch(node, valueAt(input, path)) : undefined;
}

function branch(node: JsonSchema, value: unknown): JsonSchema {
  const options = (node.oneOf ?? node.anyOf) as JsonSchema[] | undefined;
  if (!options) return node;
  const kind = value !== null && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
  return options.find((o) => o.properties?.kind?.const === kind) ?? options.find((o) => o.type === 'object') ?? node;
}

function fmt(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function zodProblems(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const name = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(schemaAt(issue.path, input)?.properties ?? {}).filter((k) => k !== '$schema');
      for (const key of issue.keys) {
        out.push(`unknown field '${formatPath([...issue.path, key])}', expected one of ${known.join(', ')}${didYouMean(key, known)}`);
      }
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const got = valueAt(input, issue.path);
    const union = issue as { code: string; discriminator?: string; options?: unknown[] };
    if (union.code === 'invalid_union' && union.discriminator && Array.isArray(union.options)) {
      const options = union.options.map(String);
      const hint = typeof got === 'string' ? didYouMean(got, options) : '';
      out.push(`field '${name}' must be one of ${options.map((o) => `'${o}'`).join(', ')}, got ${fmt(got)}${hint}`);
      continue;
    }
    if (issue.code === 'custom' || issue.code === 'invalid_format') {
      out.push(`field '${name}' ${issue.message}, got ${fmt(got)}`);
      continue;
    }
    const schema = schemaAt(issue.path, input);
    if (schema && (schema.type || schema.enum) && got !== undefined) {
      const hint = schema.enum && typeof got === 'string' ? didYouMean(got, schema.enum.map(String)) : '';
      out.push(`field '${name}' must be ${expectedText(schema)}, got ${fmt(got)}${hint}`);
    } else if (got === undefined && issue.code === 'invalid_type') {
      out.push(`field '${name}' is required (${schema?.description ?? issue.message})`);
    } else {
      out.push(`field '${name}': ${issue.message}, got ${fmt(got)}`);
    }
  }
  return out;
}

/** Deep merge of partial configs: objects merge, anything else (arrays included) is replaced. */
export function mergeConfig(...layers: ReadonlyArray<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      const prev = out[k];
      out[k] =
        isPlainObject(v) && isPlainObject(prev) ? mergeConfig(prev, v) : isPlainObject(v) ? mergeConfig(v) : structuredClone(v);
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasPath(obj: Record<string, unknown>, dotted: string): boolean {
  let v: unknown = obj;
  for (const k of dotted.split('.')) {
    if (!isPlainObject(v) || !(k in v)) return false;
    v = v[k];
  }
  return true;
}

/**
 * The budget of a spec as a partial run config (only the searches' or the trainings' part with
 * `kind`). It is merged last, over every task and arm section: the same budget for every arm.
 */
export function budgetConfig(spec: ExperimentSpec, kind?: 'search' | 'train'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.budget.searchSteps !== undefined && kind !== 'train') out.search = { steps: spec.budget.searchSteps };
  if (spec.budget.trainSteps !== undefined && kind !== 'search') out.train = { steps: spec.budget.trainSteps };
  return out;
}

/** What {@link validateExperimentSpec} found. */
export type SpecValidation = { ok: true; resolved: ResolvedSpec } | { ok: false; problems: string[] };

/**
 * Checks an experiment spec (as read from a file) against {@link EXPERIMENT_SPEC_SCHEMA}, the rules
 * between its fields (unique names, the search protocol's fields, arms that name tasks) and every
 * run-config section against the run config's schema; lists EVERY problem, each naming the field
 * (did-you-mean hints for unknown fields, kinds and names). Genotype files are read and validated.
 * Datasets are not opened here (a dry run needs no data): {@link prepareTasks} checks them.
 *
 * @example
 * validateExperimentSpec({ tasks: [{ name: 'p', dataset: 'phantom' }], arms: [{ kind: 'unte', name: 'u' }] }, { baseDir: '.' });
 * // { ok: false, problems: ["field 'arms[0].kind' must be one of 'searched', 'unet', …, got 'unte' (did you mean 'unet'?)"] }
 */
export function validateExperimentSpec(
  input: unknown,
  options: { baseDir: string; file?: string | null; configFiles?: ReadonlyMap<string, string> },
): SpecValidation {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problems: [`expected an object at the top level, got ${fmt(input)}`] };
  }
  const parsed = EXPERIMENT_SPEC_SCHEMA.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error.issues, input) };
  const { $schema: _, ...parsedSpec } = parsed.data;
  const problems: string[] = [];
  const files = options.configFiles ?? new Map<string, string>();
  const section = (where: string, v: string | Record<string, unknown>): Record<string, unknown> => {
    if (typeof v !== 'string') return v;
    problems.push(`field '${where}' is the file '${v}': read the spec with loadExperimentSpec, which loads it`);
    return {};
  };
  const spec: ExperimentSpec = {
    ...parsedSpec,
    config: section('config', parsedSpec.config),
    tasks: parsedSpec.tasks.map((t, i) => ({ ...t, config: section(`tasks[${i}].config`, t.config) })),
    arms: parsedSpec.arms.map((a, i) => ({ ...a, config: section(`arms[${i}].config`, a.config) })),
    search: { ...parsedSpec.search, config: section('search.config', parsedSpec.search.config) },
  };
  const baseDir = resolve(options.baseDir);

  // Names.
  const taskNames = spec.tasks.map((t) => t.name);
  const dupes = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);
  for (const d of new Set(dupes(taskNames))) problems.push(`field 'tasks': two tasks are named '${d}', expected unique names`);
  for (const d of new Set(dupes(spec.arms.map((a) => a.name)))) problems.push(`field 'arms': two arms are named '${d}', expected unique names`);
  for (const [i, a] of spec.arms.entries()) {
    if (a.name === 'search' || a.name === 'search-quality') {
      problems.push(`field 'arms[${i}].name' is '${a.name}', which names the ${a.name === 'search' ? 'searches' : 'search-quality jobs'}' directories; choose another name`);
    }
  }
  if (new Set(spec.seeds).size !== spec.seeds.length) problems.push(`field 'seeds' is ${fmt(spec.seeds)}, expected distinct seeds`);
  if (spec.runFolds) {
    if (new Set(spec.runFolds).size !== spec.runFolds.length) problems.push(`field 'runFolds' is ${fmt(spec.runFolds)}, expected distinct folds`);
    const over = spec.runFolds.filter((f) => f >= spec.folds);
    if (over.length) problems.push(`field 'runFolds' is ${fmt(spec.runFolds)}, expected folds < folds (${spec.folds}), got ${over.join(', ')}`);
  }

  // Tasks and their data.
  const sources: TaskSource[] = spec.tasks.map((t, i) => {
    if (t.dataset === 'phantom') return { kind: 'phantom' };
    if (t.dataset.startsWith('planted:')) {
      const name = t.dataset.slice('planted:'.length);
      const known = Object.keys(PLANTED_FAMILIES);
      if (!known.includes(name)) {
        problems.push(`field 'tasks[${i}].dataset' is '${t.dataset}', expected planted:${known.join(' or planted:')}${didYouMean(name, known)}`);
        return { kind: 'phantom' };
      }
      return { kind: 'planted', task: name as PlantedTask };
    }
    if (t.dataset.startsWith('atlas:')) {
      const name = t.dataset.slice('atlas:'.length);
      const atlas = ATLAS_TASKS[name];
      if (!atlas) {
        const known = Object.keys(ATLAS_TASKS);
        problems.push(`field 'tasks[${i}].dataset' is '${t.dataset}', expected atlas:${known.join(' or atlas:')}${didYouMean(name, known)}`);
        return { kind: 'phantom' };
      }
      return { kind: 'atlas', atlas };
    }
    return { kind: 'directory', path: resolve(baseDir, t.dataset) };
  });

  // The search protocol.
  const s = spec.search;
  if (s.protocol === 'once') {
    if (s.task === undefined) problems.push("field 'search.task' is required with protocol 'once' (the task searched on)");
    else if (!taskNames.includes(s.task)) {
      problems.push(`field 'search.task' is '${s.task}', expected one of the tasks: ${taskNames.map((n) => `'${n}'`).join(', ')}${didYouMean(s.task, taskNames)}`);
    }
    if (s.cases === undefined) {
      problems.push("field 'search.cases' is required with protocol 'once': `all`, a list of case ids, or { fold: k } (the report marks the evaluations that could have seen them)");
    } else if (typeof s.cases === 'object' && !Array.isArray(s.cases) && s.cases.fold >= spec.folds) {
      problems.push(`field 'search.cases.fold' is ${s.cases.fold}, expected < folds (${spec.folds})`);
    }
  } else {
    if (s.task !== undefined) problems.push("field 'search.task' is only used with protocol 'once' (per-fold searches every task)");
    if (s.cases !== undefined) problems.push("field 'search.cases' is only used with protocol 'once' (per-fold searches each fold's training cases)");
  }

  // Arms.
  const genotypes = new Map<string, { path: string; genotype: Genotype }>();
  for (const [i, arm] of spec.arms.entries()) {
    if (arm.kind === 'transfer') {
      if (s.protocol === 'once') {
        problems.push(`field 'arms[${i}].kind' is 'transfer', but with protocol 'once' the '${spec.arms.find((a) => a.kind === 'searched')?.name ?? 'searched'}' arm already trains the genotype searched on '${s.task}' on every task; remove this arm`);
      } else if (!taskNames.includes(arm.from)) {
        problems.push(`field 'arms[${i}].from' is '${arm.from}', expected one of the tasks: ${taskNames.map((n) => `'${n}'`).join(', ')}${didYouMean(arm.from, taskNames)}`);
      } else if (spec.tasks.length < 2) {
        problems.push(`field 'arms[${i}]': a transfer arm needs a second task to transfer to`);
      }
    }
    if (arm.kind === 'genotype') {
      const path = resolve(baseDir, arm.file);
      if (!existsSync(path)) {
        problems.push(`field 'arms[${i}].file' is '${arm.file}', but ${path} does not exist (expected a genotype.json)`);
      } else {
        try {
          genotypes.set(arm.name, { path, genotype: parseGenotype(readFileSync(path, 'utf8'), { source: path }) });
        } catch (e) {
          problems.push(`field 'arms[${i}].file': ${(e as Error).message}`);
        }
      }
    }
  }

  // Run-config sections, each checked as the jobs it reaches see it: searches get config + task +
  // search.config + the search budget, trainings config + task + arm + the training budget. A problem
  // of the base config is reported once (and not when search.config overrides what caused it).
  const problemsOf = (kind: 'search' | 'train', ...layers: Array<Record<string, unknown>>): string[] => {
    const r = validateConfig(mergeConfig(...layers, budgetConfig(spec, kind)));
    return r.ok ? [] : r.problems;
  };
  const searchedBase = new Set(problemsOf('search', spec.config, s.config));
  const baseProblems = new Set([...problemsOf('train', spec.config), ...problemsOf('search', spec.config).filter((p) => searchedBase.has(p))]);
  const layers: Array<[string, Record<string, unknown>, string[]]> = [
    ['config', spec.config, [...baseProblems]],
    ['search.config', s.config, problemsOf('search', spec.config, s.config)],
    ...spec.tasks.map((t, i): [string, Record<string, unknown>, string[]] => [
      `tasks[${i}].config`,
      t.config,
      [...problemsOf('train', spec.config, t.config), ...problemsOf('search', spec.config, t.config, s.config)],
    ]),
    ...spec.arms.map((a, i): [string, Record<string, unknown>, string[]] => [`arms[${i}].config`, a.config, problemsOf('train', spec.config, a.config)]),
  ];
  const shared = new Set<string>(); // found in config or search.config: not repeated for every task and arm
  for (const [where, layer, found] of layers) {
    for (const [field, instead] of Object.entries(RESERVED_CONFIG_FIELDS)) {
      if (hasPath(layer, field)) problems.push(`field '${where}.${field}' is set by the experiment; use ${instead}`);
    }
    for (const p of new Set(found)) {
      if (shared.has(p)) continue;
      if (where === 'config' || where === 'search.config') shared.add(p);
      problems.push(`${where}${files.has(where) ? ` (${files.get(where)})` : ''}: ${p}`);
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  const name = spec.name ?? (options.file ? basename(options.file, extname(options.file)) : 'experiment');
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  return { ok: true, resolved: { spec, file: options.file ?? null, baseDir, name, sources, genotypes, hash } };
}

/**
 * Validates a spec (see {@link validateExperimentSpec}); problems raise one {@link ExperimentSpecError}
 * listing all of them, prefixed with `source`.
 *
 * @example
 * const r = resolveExperimentSpec(spec, { baseDir: '.', source: 'study.yaml' });
 */
export function resolveExperimentSpec(
  input: unknown,
  options: { baseDir: string; file?: string | null; source?: string; configFiles?: ReadonlyMap<string, string> },
): ResolvedSpec {
  const r = validateExperimentSpec(input, options);
  if (r.ok) return r.resolved;
  const source = options.source ?? options.file ?? 'experiment spec';
  const message =
    r.problems.length === 1 ? `${source}: ${r.problems[0]}` : `${source}: ${r.problems.length} problems:\n  - ${r.problems.join('\n  - ')}`;
  throw new ExperimentSpecError(message, { issues: r.problems });
}

/**
 * Reads an experiment spec file (YAML or JSON) and resolves it; relative paths in it are relative to
 * the file's directory.
 *
 * @example
 * const resolved = await loadExperimentSpec('examples/benchmark/cpu.yaml');
 * resolved.spec.tasks.length;
 */
export async function loadExperimentSpec(file: string): Promise<ResolvedSpec> {
  const path = resolve(file);
  let input: Record<string, unknown>;
  try {
    input = await readConfigFile(path);
  } catch (cause) {
    throw new ExperimentSpecError(`experiment spec ${file}: ${(cause as Error).message}`, { cause });
  }
  const baseDir = dirname(path);
  // Run-config sections given as file names are read here (relative to the spec file).
  const configFiles = new Map<string, string>();
  const problems: string[] = [];
  const load = async (where: string, holder: Record<string, unknown> | undefined) => {
    const v = holder?.config;
    if (typeof v !== 'string') return;
    const target = resolve(baseDir, v);
    if (!existsSync(target)) {
      problems.push(`field '${where}' is '${v}', but ${target} does not exist (expected a voxnas.yaml run config)`);
      return;
    }
    try {
      holder!.config = await readConfigFile(target);
      configFiles.set(where, v);
    } catch (cause) {
      problems.push(`field '${where}': ${(cause as Error).message}`);
    }
  };
  await load('config', input);
  for (const [key, list] of [['tasks', input.tasks], ['arms', input.arms]] as const) {
    if (Array.isArray(list)) for (const [i, item] of list.entries()) if (isPlainObject(item)) await load(`${key}[${i}].config`, item);
  }
  if (isPlainObject(input.search)) await load('search.config', input.search);
  if (problems.length) {
    throw new ExperimentSpecError(problems.length === 1 ? `${file}: ${problems[0]}` : `${file}: ${problems.length} problems:\n  - ${problems.join('\n  - ')}`, { issues: problems });
  }
  return resolveExperimentSpec(input, { baseDir, file: path, source: file, configFiles });
}

/**
 * What a task's data is made from: its `dataset`, and for a generated task (phantom, planted) its
 * generator options and the spec's seed. Part of the data stamp and of every job's hash.
 *
 * @example
 * taskSourceOf(resolved, 0); // { dataset: 'phantom', phantom: { cases: 8, … }, seed: 0 }
 */
export function taskSourceOf(resolved: ResolvedSpec, index: number): Record<string, unknown> {
  const task = resolved.spec.tasks[index]!;
  const kind = resolved.sources[index]!.kind;
  if (kind === 'phantom') return { dataset: task.dataset, phantom: task.phantom, seed: resolved.spec.seed };
  if (kind === 'planted') return { dataset: task.dataset, planted: task.planted, seed: resolved.spec.seed };
  return { dataset: task.dataset };
}

/**
 * The outer folds a study runs, ascending: `runFolds` when given, else every fold.
 *
 * @example
 * foldsRun({ folds: 5, runFolds: [3, 0] }); // [0, 3]
 */
export function foldsRun(spec: { readonly folds: number; readonly runFolds?: readonly number[] | undefined }): number[] {
  return spec.runFolds ? [...spec.runFolds].sort((a, b) => a - b) : Array.from({ length: spec.folds }, (_, f) => f);
}
