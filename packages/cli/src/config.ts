import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { didYouMean } from '@voxnas/core';
import { ConfigError } from './errors.js';

/** Which network `voxnas train` trains. */
export type ArchChoice = 'unet' | 'random' | 'searched' | string;

/**
 * A resolved voxnas run configuration. Every field has a documented default (see {@link DEFAULT_CONFIG});
 * config files and flags override them. Sizes are voxels in x, y, z order; spacings in mm.
 */
export interface VoxnasConfig {
  /** Root seed; forked by name into data, augment, sampler and init streams. */
  seed: number;
  /**
   * Modules imported before any network is built — files (`./my-ops.mjs`, relative to the working
   * directory, saved absolute in the run) or package names — that register custom operators with
   * `registerOperator` of `@voxnas/ops`. Default none.
   */
  plugins: string[];
  data: {
    /** A dataset directory (MSD / nnU-Net / folder pairs), or `phantom` for the built-in synthetic data. */
    dataset: string;
    /** Cases of the built-in phantom dataset (ignored otherwise). */
    phantomCases: number;
    /** Fold used for validation, and number of folds. */
    fold: number;
    folds: number;
    /** Patch size in voxels, x y z. Must be a multiple of 2^levels of the network. */
    patchSize: [number, number, number];
    batchSize: number;
    /** Fraction of patches forced to contain foreground. */
    foregroundFraction: number;
    /** Loader worker threads (0 = in the main thread). */
    workers: number;
  };
  search: {
    levels: number;
    baseChannels: number;
    nodes: number;
    /** Candidate operators of every edge (registry names, custom ones included); empty: the built-in defaults. */
    candidates: string[];
    sampler: 'gumbel' | 'full' | 'uniform';
    /** Paths sampled per edge by the gumbel sampler. */
    k: number;
    tauStart: number;
    tauEnd: number;
    tauSchedule: 'constant' | 'linear' | 'exponential';
    mode: 'bilevel' | 'joint';
    warmupSteps: number;
    steps: number;
    weightLr: number;
    archLr: number;
    /** Derive and log the genotype every this many steps. */
    deriveEvery: number;
    /** Save a resumable checkpoint every this many steps. */
    checkpointEvery: number;
  };
  train: {
    steps: number;
    optimizer: 'adamw' | 'adam' | 'sgd';
    lr: number;
    weightDecay: number;
    schedule: 'poly' | 'cosine' | 'constant';
    warmupSteps: number;
    loss: 'dice-ce' | 'dice' | 'ce' | 'focal';
    validateEvery: number;
    /** Save a resumable checkpoint every this many steps. */
    checkpointEvery: number;
  };
  inference: {
    overlap: number;
    mirror: boolean;
    windowsPerBatch: number;
  };
}

/** voxnas's own defaults, sized so that a run finishes on a 2-core CPU (REFERENCE.md lists what the paper leaves open). */
export const DEFAULT_CONFIG: VoxnasConfig = {
  seed: 0,
  plugins: [],
  data: {
    dataset: 'phantom',
    phantomCases: 8,
    fold: 0,
    folds: 4,
    patchSize: [32, 32, 32],
    batchSize: 2,
    foregroundFraction: 0.5,
    workers: 0,
  },
  search: {
    levels: 3,
    baseChannels: 8,
    nodes: 3,
    candidates: [],
    sampler: 'gumbel',
    k: 1,
    tauStart: 5,
    tauEnd: 0.5,
    tauSchedule: 'exponential',
    mode: 'bilevel',
    warmupSteps: 20,
    steps: 100,
    weightLr: 3e-3,
    archLr: 3e-3,
    deriveEvery: 25,
    checkpointEvery: 10,
  },
  train: {
    steps: 200,
    optimizer: 'adamw',
    lr: 3e-3,
    weightDecay: 1e-4,
    schedule: 'poly',
    warmupSteps: 10,
    loss: 'dice-ce',
    validateEvery: 50,
    checkpointEvery: 25,
  },
  inference: {
    overlap: 0.5,
    mirror: false,
    windowsPerBatch: 2,
  },
};

type Rule =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean }
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int3'; min: number }
  | { kind: 'strings' };

const SCHEMA: {
  [S in keyof VoxnasConfig]: VoxnasConfig[S] extends unknown[] ? Rule : VoxnasConfig[S] extends object ? Record<keyof VoxnasConfig[S], Rule> : Rule;
} = {
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1 },
  plugins: { kind: 'strings' },
  data: {
    dataset: { kind: 'string' },
    phantomCases: { kind: 'int', min: 2 },
    fold: { kind: 'int', min: 0 },
    folds: { kind: 'int', min: 2 },
    patchSize: { kind: 'int3', min: 1 },
    batchSize: { kind: 'int', min: 1 },
    foregroundFraction: { kind: 'number', min: 0, max: 1 },
    workers: { kind: 'int', min: 0, max: 64 },
  },
  search: {
    levels: { kind: 'int', min: 1, max: 6 },
    baseChannels: { kind: 'int', min: 1 },
    nodes: { kind: 'int', min: 1, max: 8 },
    candidates: { kind: 'strings' },
    sampler: { kind: 'enum', values: ['gumbel', 'full', 'uniform'] },
    k: { kind: 'int', min: 1 },
    tauStart: { kind: 'number', min: 0, exclusiveMin: true },
    tauEnd: { kind: 'number', min: 0, exclusiveMin: true },
    tauSchedule: { kind: 'enum', values: ['constant', 'linear', 'exponential'] },
    mode: { kind: 'enum', values: ['bilevel', 'joint'] },
    warmupSteps: { kind: 'int', min: 0 },
    steps: { kind: 'int', min: 1 },
    weightLr: { kind: 'number', min: 0, exclusiveMin: true },
    archLr: { kind: 'number', min: 0, exclusiveMin: true },
    deriveEvery: { kind: 'int', min: 1 },
    checkpointEvery: { kind: 'int', min: 1 },
  },
  train: {
    steps: { kind: 'int', min: 1 },
    optimizer: { kind: 'enum', values: ['adamw', 'adam', 'sgd'] },
    lr: { kind: 'number', min: 0, exclusiveMin: true },
    weightDecay: { kind: 'number', min: 0 },
    schedule: { kind: 'enum', values: ['poly', 'cosine', 'constant'] },
    warmupSteps: { kind: 'int', min: 0 },
    loss: { kind: 'enum', values: ['dice-ce', 'dice', 'ce', 'focal'] },
    validateEvery: { kind: 'int', min: 1 },
    checkpointEvery: { kind: 'int', min: 1 },
  },
  inference: {
    overlap: { kind: 'number', min: 0, max: 0.95 },
    mirror: { kind: 'bool' },
    windowsPerBatch: { kind: 'int', min: 1 },
  },
};

function describe(rule: Rule): string {
  switch (rule.kind) {
    case 'int':
      return `an integer${rule.min !== undefined ? ` ≥ ${rule.min}` : ''}${rule.max !== undefined ? ` ≤ ${rule.max}` : ''}`;
    case 'number':
      return `a number${rule.min !== undefined ? (rule.exclusiveMin ? ` > ${rule.min}` : ` ≥ ${rule.min}`) : ''}${rule.max !== undefined ? ` ≤ ${rule.max}` : ''}`;
    case 'string':
      return 'a string';
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${rule.values.map((v) => `'${v}'`).join(', ')}`;
    case 'int3':
      return `three integers ≥ ${rule.min}`;
    case 'strings':
      return 'a list of non-empty strings';
  }
}

function check(rule: Rule, v: unknown): boolean {
  switch (rule.kind) {
    case 'int':
      return (
        typeof v === 'number' &&
        Number.isInteger(v) &&
        (rule.min === undefined || v >= rule.min) &&
        (rule.max === undefined || v <= rule.max)
      );
    case 'number':
      return (
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (rule.min === undefined || (rule.exclusiveMin ? v > rule.min : v >= rule.min)) &&
        (rule.max === undefined || v <= rule.max)
      );
    case 'string':
      return typeof v === 'string' && v.length > 0;
    case 'bool':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && rule.values.includes(v);
    case 'int3':
      return Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x >= rule.min);
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);
  }
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/**
 * Validates a partial config (as read from a file or built from flags) and merges it over
 * {@link DEFAULT_CONFIG}. Unknown fields and wrong types raise {@link ConfigError} naming the field path,
 * what was expected and what was given. `source` names the file in messages.
 *
 * @example
 * const cfg = resolveConfig({ search: { steps: 10 } }); // cfg.search.levels === 3
 */
export function resolveConfig(partial: unknown, source = 'config'): VoxnasConfig {
  if (partial === null || partial === undefined) partial = {};
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    throw new ConfigError(`${source}: expected an object at the top level, got ${fmt(partial)}`);
  }
  const out = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial as Record<string, unknown>)) {
    const rule = (SCHEMA as Record<string, unknown>)[key];
    if (rule === undefined) {
      throw new ConfigError(
        `${source}: unknown field '${key}', expected one of ${Object.keys(SCHEMA).join(', ')}${didYouMean(key, Object.keys(SCHEMA))}`,
      );
    }
    if ('kind' in (rule as object)) {
      if (!check(rule as Rule, value)) {
        throw new ConfigError(`${source}: field '${key}' must be ${describe(rule as Rule)}, got ${fmt(value)}`);
      }
      out[key] = value;
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`${source}: field '${key}' must be an object, got ${fmt(value)}`);
    }
    const section = out[key] as Record<string, unknown>;
    const rules = rule as Record<string, Rule>;
    for (const [field, fv] of Object.entries(value as Record<string, unknown>)) {
      const r = rules[field];
      if (r === undefined) {
        throw new ConfigError(
          `${source}: unknown field '${key}.${field}', expected one of ${Object.keys(rules).join(', ')}${didYouMean(field, Object.keys(rules))}`,
        );
      }
      if (!check(r, fv)) {
        throw new ConfigError(`${source}: field '${key}.${field}' must be ${describe(r)}, got ${fmt(fv)}`);
      }
      section[field] = fv;
    }
  }
  const cfg = out as unknown as VoxnasConfig;
  if (cfg.data.fold >= cfg.data.folds) {
    throw new ConfigError(
      `${source}: field 'data.fold' is ${cfg.data.fold}, expected < data.folds (${cfg.data.folds})`,
    );
  }
  for (const section of ['search', 'train'] as const) {
    if (cfg[section].warmupSteps >= cfg[section].steps) {
      throw new ConfigError(
        `${source}: field '${section}.warmupSteps' is ${cfg[section].warmupSteps}, expected < ${section}.steps (${cfg[section].steps})`,
      );
    }
  }
  const multiple = 2 ** cfg.search.levels;
  const bad = cfg.data.patchSize.findIndex((n) => n % multiple !== 0);
  if (bad >= 0) {
    throw new ConfigError(
      `${source}: field 'data.patchSize' is [${cfg.data.patchSize.join(', ')}], expected multiples of 2^levels = ${multiple} (axis ${'xyz'[bad]})`,
    );
  }
  return cfg;
}

/** Reads a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file and resolves it. */
export async function loadConfig(path: string): Promise<VoxnasConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`loadConfig(${path}): cannot read the file`, { cause });
  }
  const ext = extname(path).toLowerCase();
  let parsed: unknown;
  try {
    if (ext === '.json') parsed = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') parsed = parseYaml(text);
    else throw new Error(`extension '${ext}'`);
  } catch (cause) {
    throw new ConfigError(
      `loadConfig(${path}): not valid ${ext === '.json' ? 'JSON' : ext.startsWith('.y') ? 'YAML' : 'JSON or YAML (use .json, .yaml or .yml)'}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return resolveConfig(parsed, path);
}

/**
 * Applies `--set a.b=value` style overrides (value parsed as JSON when it parses, else a string) to a
 * partial config object, returning a new object.
 */
export function applyOverrides(partial: Record<string, unknown>, overrides: readonly string[]): Record<string, unknown> {
  const out = structuredClone(partial);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set '${o}': expected key.path=value`);
    const path = o.slice(0, eq).split('.');
    const raw = o.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node: Record<string, unknown> = out;
    for (const k of path.slice(0, -1)) {
      const next = node[k];
      if (typeof next !== 'object' || next === null) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}
