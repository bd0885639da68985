import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { didYouMean } from '@voxnas/core';
import { ConfigError } from './errors.js';
import { CONFIG_SCHEMA, CROSS_FIELD_RULES, type VoxnasConfig } from './config-schema.js';
import { expectedText, fieldPath, schemaAt } from './config-json-schema.js';

/** Which network `voxnas train` trains. */
export type ArchChoice = 'unet' | 'random' | 'searched' | string;

export type { VoxnasConfig, VoxnasConfigInput } from './config-schema.js';

/**
 * voxnas's own defaults, sized so that a run finishes on a 2-core CPU (docs/method.md lists what the
 * paper leaves open): {@link CONFIG_SCHEMA} applied to an empty config.
 *
 * @example
 * DEFAULT_CONFIG.search.sampler; // 'gumbel'
 */
export const DEFAULT_CONFIG: VoxnasConfig = resolveDefaults();

function resolveDefaults(): VoxnasConfig {
  const { $schema: _, ...config } = CONFIG_SCHEMA.parse({});
  return config;
}

function fmt(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function withoutPaths(input: Record<string, unknown>, paths: ReadonlyArray<readonly string[]>): Record<string, unknown> {
  const out = structuredClone(input);
  for (const path of paths) {
    let node: unknown = out;
    for (const k of path.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
    if (node !== null && typeof node === 'object' && path.length > 0) delete (node as Record<string, unknown>)[path[path.length - 1]!];
  }
  return out;
}

/** What {@link validateConfig} found. */
export type ConfigValidation = { ok: true; config: VoxnasConfig } | { ok: false; problems: string[] };

/**
 * Checks a partial config (as read from a file or built from flags) against {@link CONFIG_SCHEMA} and
 * the {@link CROSS_FIELD_RULES}, and lists EVERY problem, each naming the field path, what was expected
 * and what was given (with a did-you-mean hint for unknown fields and enum values). A rule between
 * fields is checked when each of its fields is valid on its own.
 *
 * @example
 * validateConfig({ sead: 1, train: { lr: 0 } });
 * // { ok: false, problems: ["field 'train.lr' must be a number > 0, got 0", "unknown field 'sead', …(did you mean 'seed'?)"] }
 */
export function validateConfig(partial: unknown): ConfigValidation {
  if (partial === null || partial === undefined) partial = {};
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    return { ok: false, problems: [`expected an object at the top level, got ${fmt(partial)}`] };
  }
  const input = partial as Record<string, unknown>;
  const parsed = CONFIG_SCHEMA.safeParse(input);
  const problems: string[] = [];
  const bad: string[][] = [];
  if (!parsed.success) {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      const path = fieldPath(issue.path);
      const name = path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const known = Object.keys(schemaAt(path)?.properties ?? {}).filter((k) => k !== '$schema');
        for (const key of issue.keys) {
          problems.push(`unknown field '${[...path, key].join('.')}', expected one of ${known.join(', ')}${didYouMean(key, known)}`);
          bad.push([...path, key]);
        }
        continue;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      bad.push(path);
      const schema = schemaAt(path);
      const got = valueAt(input, path);
      const hint = schema?.enum && typeof got === 'string' ? didYouMean(got, schema.enum.map(String)) : '';
      problems.push(
        path.length === 0 || !schema
          ? `${name ? `field '${name}': ` : ''}${issue.message}`
          : `field '${name}' must be ${expectedText(schema)}, got ${fmt(got)}${hint}`,
      );
    }
  }
  // Rules between fields, on the config with every invalid field at its default.
  const clean = parsed.success ? parsed : CONFIG_SCHEMA.safeParse(withoutPaths(input, bad));
  if (clean.success) {
    const invalid = (field: string) => bad.some((p) => p.length > 0 && (field === p.join('.') || field.startsWith(`${p.join('.')}.`)));
    for (const rule of CROSS_FIELD_RULES) {
      if (rule.fields.some(invalid)) continue;
      const problem = rule.check(clean.data);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0 || !clean.success) return { ok: false, problems };
  const { $schema: _, ...config } = clean.data;
  return { ok: true, config };
}

/**
 * Validates a partial config and merges it over {@link DEFAULT_CONFIG} (see {@link validateConfig}).
 * Problems raise one {@link ConfigError} listing all of them (`issues`), each naming the field path,
 * what was expected and what was given. `source` (a file name, usually) starts the message.
 *
 * @example
 * const cfg = resolveConfig({ search: { steps: 10 } }); // cfg.search.levels === 3
 */
export function resolveConfig(partial: unknown, source = 'config'): VoxnasConfig {
  const r = validateConfig(partial);
  if (r.ok) return r.config;
  const message =
    r.problems.length === 1 ? `${source}: ${r.problems[0]}` : `${source}: ${r.problems.length} problems:\n  - ${r.problems.join('\n  - ')}`;
  throw new ConfigError(message, { issues: r.problems });
}

/**
 * Reads a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file as written (not validated, defaults not
 * filled in): an object, or {@link ConfigError} naming the file. `loadConfig` also resolves it.
 *
 * @example
 * const partial = await readConfigFile('voxnas.yaml'); // { search: { steps: 10 } }
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
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
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: expected an object at the top level, got ${fmt(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file and resolves it (see {@link resolveConfig}).
 *
 * @example
 * const cfg = await loadConfig('voxnas.yaml');
 */
export async function loadConfig(path: string): Promise<VoxnasConfig> {
  return resolveConfig(await readConfigFile(path), path);
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
