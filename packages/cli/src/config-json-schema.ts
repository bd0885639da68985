import { z } from 'zod';
import { CONFIG_SCHEMA } from './config-schema.js';

/** The subset of JSON Schema (draft 7) that the config's schema uses. */
export interface JsonSchema {
  readonly $schema?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: JsonSchema | readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: boolean;
  readonly [key: string]: unknown;
}

/** File name of the published JSON Schema, in the package root (`voxnas/voxnas.schema.json`). */
export const CONFIG_SCHEMA_FILE = 'voxnas.schema.json';

let cached: JsonSchema | null = null;

/**
 * The JSON Schema (draft 7) of a voxnas config file, generated from {@link CONFIG_SCHEMA}: the file
 * published as `voxnas.schema.json` (editor completion and validation of `voxnas.yaml`). Cross-field
 * rules (fold < folds, warm-up < steps, patch size a multiple of 2^levels) are not expressible in it;
 * `resolveConfig` checks them.
 *
 * @example
 * configJsonSchema().properties!.search!.properties!.sampler!.enum; // ['gumbel', 'full', 'uniform']
 */
export function configJsonSchema(): JsonSchema {
  if (!cached) {
    const generated = z.toJSONSchema(CONFIG_SCHEMA, {
      target: 'draft-7',
      io: 'input',
      override: ({ jsonSchema }) => {
        // z.int()'s implicit safe-integer bounds say nothing to a reader
        const js = jsonSchema as Record<string, unknown>;
        if (js.maximum === Number.MAX_SAFE_INTEGER) delete js.maximum;
        if (js.minimum === Number.MIN_SAFE_INTEGER) delete js.minimum;
      },
    }) as JsonSchema;
    cached = { $schema: generated.$schema, title: 'voxnas run config', ...generated };
  }
  return cached;
}

/** The schema of the field at `path` (object properties only), or undefined. */
export function schemaAt(path: readonly string[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = configJsonSchema();
  for (const key of path) node = node?.properties?.[key];
  return node;
}

/**
 * The longest prefix of `path` (as zod reports it: keys and array indices) that names a config field
 * or section, as a dotted string — array elements are reported as their field.
 */
export function fieldPath(path: readonly PropertyKey[]): string[] {
  const out: string[] = [];
  let node: JsonSchema | undefined = configJsonSchema();
  for (const key of path) {
    if (typeof key !== 'string' || !node?.properties?.[key]) break;
    out.push(key);
    node = node.properties[key];
  }
  return out;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];

function bounds(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** What a value of schema `s` must be, as a phrase: singular (`an integer ≥ 1`) and plural (`integers ≥ 1`). */
function phrase(s: JsonSchema): { one: string; many: string } {
  if (s.enum) {
    const list = s.enum.map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ');
    return { one: `one of ${list}`, many: `values each one of ${list}` };
  }
  switch (s.type) {
    case 'boolean':
      return { one: 'true or false', many: 'booleans' };
    case 'integer':
      return { one: `an integer${bounds(s)}`, many: `integers${bounds(s)}` };
    case 'number':
      return { one: `a number${bounds(s)}`, many: `numbers${bounds(s)}` };
    case 'string':
      return s.minLength ? { one: 'a non-empty string', many: 'non-empty strings' } : { one: 'a string', many: 'strings' };
    case 'object':
      return { one: 'an object', many: 'objects' };
    case 'array': {
      if (Array.isArray(s.items)) {
        const items = s.items as readonly JsonSchema[];
        const first = phrase(items[0] ?? {});
        const same = items.every((i) => phrase(i).many === first.many);
        const n = NUMBER_WORDS[items.length] ?? String(items.length);
        return same
          ? { one: `${n} ${first.many}`, many: `lists of ${n} ${first.many}` }
          : { one: `a list of ${items.length} values`, many: `lists of ${items.length} values` };
      }
      const item = s.items ? phrase(s.items as JsonSchema).many : 'values';
      return { one: `a list of ${item}`, many: `lists of ${item}` };
    }
    default:
      return { one: 'a valid value', many: 'valid values' };
  }
}

/**
 * What a config value must be, in words, from its JSON Schema: `an integer ≥ 1`, `one of 'a', 'b'`,
 * `three integers ≥ 1`, `a list of non-empty strings`, `true or false`.
 *
 * @example
 * expectedText({ type: 'number', exclusiveMinimum: 0 }); // 'a number > 0'
 */
export function expectedText(s: JsonSchema): string {
  return phrase(s).one;
}

/** One field of the config, as `voxnas help config` and the README list it. */
export interface ConfigFieldInfo {
  /** Dotted path, e.g. `search.sampler`. */
  readonly path: string;
  /** What the value must be (see {@link expectedText}). */
  readonly type: string;
  readonly default: unknown;
  readonly description: string;
}

/**
 * Every config field (sections flattened, `$schema` left out), in declaration order.
 *
 * @example
 * configFields().find((f) => f.path === 'train.steps'); // { path: 'train.steps', type: 'an integer ≥ 1', default: 200, … }
 */
export function configFields(): ConfigFieldInfo[] {
  const out: ConfigFieldInfo[] = [];
  const walk = (s: JsonSchema, prefix: string[]) => {
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      if (key === '$schema') continue;
      const path = [...prefix, key];
      if (child.type === 'object' && child.properties) walk(child, path);
      else out.push({ path: path.join('.'), type: expectedText(child), default: child.default, description: child.description ?? '' });
    }
  };
  walk(configJsonSchema(), []);
  return out;
}

/**
 * The text of `voxnas.schema.json` as `pnpm --filter voxnas schema` writes it (a test checks that the
 * checked-in file equals it).
 *
 * @example
 * JSON.parse(configJsonSchemaText()).title; // 'voxnas run config'
 */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
