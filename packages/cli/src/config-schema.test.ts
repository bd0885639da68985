import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LOSS_KINDS } from '@voxnas/metrics';
import { SEARCH_MODES } from '@voxnas/search';
import { SAMPLER_KINDS, TEMPERATURE_SCHEDULE_KINDS } from '@voxnas/supernet';
import { OPTIMIZER_KINDS, SCHEDULE_KINDS } from '@voxnas/train';
import { CONFIG_SCHEMA_FILE, configFields, configJsonSchema, configJsonSchemaText } from './config-json-schema.js';
import { DEFAULT_CONFIG, resolveConfig, validateConfig } from './config.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
const published = readFileSync(join(pkg, CONFIG_SCHEMA_FILE), 'utf8');
// An independent validator of the published file (not zod).
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(published) as object);

/** Config files under examples/: YAML files, and JSON files that declare the voxnas schema. */
function exampleConfigs(): string[] {
  const dir = join(repo, 'examples');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => !f.split(/[/\\]/).includes('node_modules'))
    .map((f) => join(dir, f))
    .filter((f) => (/\.ya?ml$/.test(f) && !/\.experiment\.ya?ml$/.test(f)) || (f.endsWith('.json') && readFileSync(f, 'utf8').includes(CONFIG_SCHEMA_FILE)))
    .sort();
}

function readConfigFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

describe('voxnas.schema.json', () => {
  it('is the schema generated from CONFIG_SCHEMA (run `pnpm --filter voxnas schema` after changing it)', () => {
    expect(published).toBe(configJsonSchemaText());
  });

  it('offers the domain packages own lists as choices', () => {
    const p = configJsonSchema().properties!;
    expect(p.search!.properties!.sampler!.enum).toEqual(SAMPLER_KINDS);
    expect(p.search!.properties!.tauSchedule!.enum).toEqual(TEMPERATURE_SCHEDULE_KINDS);
    expect(p.search!.properties!.mode!.enum).toEqual(SEARCH_MODES);
    expect(p.train!.properties!.optimizer!.enum).toEqual(OPTIMIZER_KINDS);
    expect(p.train!.properties!.schedule!.enum).toEqual(SCHEDULE_KINDS);
    expect(p.train!.properties!.loss!.enum).toEqual(LOSS_KINDS);
  });

  it('documents every field with a description and its default', () => {
    const fields = configFields();
    expect(fields.length).toBeGreaterThan(30);
    for (const f of fields) {
      expect(f.description, f.path).not.toBe('');
      const [section, key] = f.path.split('.');
      const value = key ? (DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>)[section!]![key] : (DEFAULT_CONFIG as unknown as Record<string, unknown>)[section!];
      expect(f.default, f.path).toEqual(value);
    }
  });

  const examples = exampleConfigs();
  it('finds the example configs', () => {
    expect(examples.map((f) => relative(repo, f))).toEqual(
      expect.arrayContaining(['examples/benchmark/benchmark.yaml', 'examples/benchmark/demo.yaml', 'examples/custom-operator/custom.yaml', 'examples/transfer/transfer.yaml']),
    );
  });

  it.each(examples.map((f) => [relative(repo, f), f]))('%s is valid for the JSON Schema (ajv) and for resolveConfig', (_name, file) => {
    const config = readConfigFile(file);
    expect(validate(config), ajv.errorsText(validate.errors)).toBe(true);
    expect(() => resolveConfig(config, file)).not.toThrow();
  });

  it.each([
    [{ sead: 1 }],
    [{ search: { sampler: 'softmax' } }],
    [{ data: { patchSize: [32, 32] } }],
    [{ data: { patchSize: [32, 32, 0] } }],
    [{ train: { lr: 0 } }],
    [{ inference: { overlap: 0.99 } }],
    [{ seed: 1.5 }],
    [{ plugins: [''] }],
    [{ train: 5 }],
  ])('ajv and resolveConfig both reject %j', (config) => {
    expect(validate(config)).toBe(false);
    expect(validateConfig(config).ok).toBe(false);
  });

  it.each([[{}], [{ $schema: './voxnas.schema.json', seed: 3 }], [{ data: { patchSize: [16, 32, 8] }, search: { levels: 3 } }]])(
    'ajv and resolveConfig both accept %j',
    (config) => {
      expect(validate(config), ajv.errorsText(validate.errors)).toBe(true);
      expect(validateConfig(config).ok).toBe(true);
    },
  );
});
