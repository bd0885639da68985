import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, DEFAULT_CONFIG, loadConfig, resolveConfig, validateConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('resolveConfig', () => {
  it('merges over the defaults without touching them', () => {
    const cfg = resolveConfig({ seed: 3, search: { steps: 30 } });
    expect(cfg.seed).toBe(3);
    expect(cfg.search.steps).toBe(30);
    expect(cfg.search.levels).toBe(DEFAULT_CONFIG.search.levels);
    expect(DEFAULT_CONFIG.search.steps).toBe(100);
  });

  it.each([
    [{ sead: 1 }, `config: unknown field 'sead', expected one of seed, plugins, data, search, train, inference (did you mean 'seed'?)`],
    [{ search: { sampler: 'softmax' } }, `config: field 'search.sampler' must be one of 'gumbel', 'full', 'uniform', got 'softmax'`],
    [{ search: { levles: 3 } }, `config: unknown field 'search.levles', expected one of levels, baseChannels, nodes, candidates, sampler, k, weightSampler, alphaSharing, tauStart, tauEnd, tauSchedule, mode, warmupSteps, steps, weightLr, archLr, deriveEvery, score, checkpointEvery, recompute (did you mean 'levels'?)`],
    [{ data: { patchSize: [32, 32] } }, `config: field 'data.patchSize' must be three integers ≥ 1, got [32,32]`],
    [{ data: { patchSize: [32, 30, 32] } }, `config: field 'data.patchSize' is [32, 30, 32], expected multiples of 2^levels = 8 (axis y)`],
    [{ train: { lr: 0 } }, `config: field 'train.lr' must be a number > 0, got 0`],
    [{ data: { fold: 4 } }, `config: field 'data.fold' is 4, expected < data.folds (4)`],
    [{ train: { steps: 5 } }, `config: field 'train.warmupSteps' is 10, expected < train.steps (5)`],
    [{ seed: 1.5 }, `config: field 'seed' must be an integer ≥ 0 ≤ 4294967295, got 1.5`],
    [{ train: 5 }, `config: field 'train' must be an object, got 5`],
    [[1], `config: expected an object at the top level, got [1]`],
  ])('rejects %j', (input, message) => {
    expect(() => resolveConfig(input)).toThrow(ConfigError);
    expect(() => resolveConfig(input)).toThrow(message);
  });
});

describe('resolveConfig reports every problem at once', () => {
  it('type errors, unknown fields with hints, enum hints and cross-field rules in one ConfigError', () => {
    const input = {
      sead: 1,
      data: { fold: 5, folds: 3, patchSize: [32, 'x', 32] },
      search: { sampler: 'gumbl', levles: 2, steps: 0 },
      train: { lr: -1, warmupSteps: 300 },
      inference: 'fast',
    };
    const err = (() => {
      try {
        resolveConfig(input, 'voxnas.yaml');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.code).toBe('E_CONFIG');
    expect(err!.message).toMatchInlineSnapshot(`
      "voxnas.yaml: 9 problems:
        - field 'data.patchSize' must be three integers ≥ 1, got [32,"x",32]
        - field 'search.sampler' must be one of 'gumbel', 'full', 'uniform', got 'gumbl' (did you mean 'gumbel'?)
        - field 'search.steps' must be an integer ≥ 1, got 0
        - unknown field 'search.levles', expected one of levels, baseChannels, nodes, candidates, sampler, k, weightSampler, alphaSharing, tauStart, tauEnd, tauSchedule, mode, warmupSteps, steps, weightLr, archLr, deriveEvery, score, checkpointEvery, recompute (did you mean 'levels'?)
        - field 'train.lr' must be a number > 0, got -1
        - field 'inference' must be an object, got 'fast'
        - unknown field 'sead', expected one of seed, plugins, data, search, train, inference (did you mean 'seed'?)
        - field 'data.fold' is 5, expected < data.folds (3)
        - field 'train.warmupSteps' is 300, expected < train.steps (200)"
    `);
    expect(err!.issues).toHaveLength(9);
  });

  it('skips a rule between fields when one of its fields is itself invalid', () => {
    expect(validateConfig({ search: { steps: 'many', warmupSteps: 500 } })).toEqual({
      ok: false,
      problems: [`field 'search.steps' must be an integer ≥ 1, got 'many'`],
    });
  });

  it('accepts and drops a $schema key (editor completion in JSON configs)', () => {
    const cfg = resolveConfig({ $schema: './node_modules/voxnas/voxnas.schema.json', seed: 2 });
    expect(cfg).toEqual({ ...DEFAULT_CONFIG, seed: 2 });
    expect('$schema' in cfg).toBe(false);
  });
});

describe('loadConfig', () => {
  it('reads YAML and JSON equally and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voxnas-cfg-'));
    await writeFile(join(dir, 'a.yaml'), 'seed: 7\nsearch:\n  steps: 42\n  sampler: uniform\n');
    await writeFile(join(dir, 'a.json'), JSON.stringify({ seed: 7, search: { steps: 42, sampler: 'uniform' } }));
    await writeFile(join(dir, 'bad.yaml'), 'search:\n  steps: -1\n');
    await writeFile(join(dir, 'broken.json'), '{ "seed": ');
    expect(await loadConfig(join(dir, 'a.yaml'))).toEqual(await loadConfig(join(dir, 'a.json')));
    await expect(loadConfig(join(dir, 'bad.yaml'))).rejects.toThrow(
      `${join(dir, 'bad.yaml')}: field 'search.steps' must be an integer ≥ 1, got -1`,
    );
    await expect(loadConfig(join(dir, 'broken.json'))).rejects.toThrow(ConfigError);
    await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow('cannot read the file');
  });
});

describe('applyOverrides', () => {
  it('parses JSON values and nests paths', () => {
    const out = applyOverrides({ search: { steps: 3 } }, ['search.steps=9', 'data.dataset=/x/y', 'data.patchSize=[16,16,16]']);
    expect(out).toEqual({ search: { steps: 9 }, data: { dataset: '/x/y', patchSize: [16, 16, 16] } });
    expect(() => applyOverrides({}, ['nokey'])).toThrow(`--set 'nokey': expected key.path=value`);
  });
});
