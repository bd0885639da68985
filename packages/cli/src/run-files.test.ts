import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@voxnas/core';
import { withTempDir } from '@voxnas/testing';
import { resolveConfig } from './config.js';
import { ConfigError } from './errors.js';
import { runCli } from '../test/run-cli.js';
import { MODEL_CARD_FILE, parseWith, readJsonFile, readNetworkSpec, readRunConfigFile } from './run-files.js';

async function write(path: string, value: unknown): Promise<void> {
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
}

async function caught(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe('files read back from disk go through validating parsers', () => {
  it('a run config.json: wrong format is a FormatError, a bad field a ConfigError naming file and field', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'config.json');
      await write(file, { format: 'voxnas-run@2' });
      const e1 = await caught(readRunConfigFile(file, 'test'));
      expect(e1).toBeInstanceOf(FormatError);
      expect((e1 as FormatError).code).toBe('E_FORMAT');
      expect(e1.message.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(`
        "<dir>/config.json: not a valid config.json: 
          format: expected 'voxnas-run@1', got 'voxnas-run@2'
          config: expected record, got nothing"
      `);
      await write(file, { format: 'voxnas-run@1', config: { search: { steps: -1 }, seed: 'x' } });
      const e2 = await caught(readRunConfigFile(file, 'test'));
      expect(e2).toBeInstanceOf(ConfigError);
      expect(e2.message.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(`
        "<dir>/config.json: 2 problems:
          - field 'seed' must be an integer ≥ 0 ≤ 4294967295, got 'x'
          - field 'search.steps' must be an integer ≥ 1, got -1"
      `);
      await write(file, '{"format":');
      const e3 = await caught(readRunConfigFile(file, 'voxnas search --resume r'));
      expect(e3).toBeInstanceOf(ConfigError);
      expect(e3.message.replaceAll(dir, '<dir>')).toMatch(/^voxnas search --resume r: <dir>\/config\.json is not valid JSON: /);
    }));

  it('a run config.json saved before search.alphaSharing existed reads as edge (its layout); one that names a layout keeps it; a new config defaults to cell', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'config.json');
      await write(file, { format: 'voxnas-run@1', config: { search: { steps: 50 } } });
      expect((await readRunConfigFile(file, 'test')).search.alphaSharing).toBe('edge');
      await write(file, { format: 'voxnas-run@1', config: { search: { steps: 50, alphaSharing: 'cell' } } });
      expect((await readRunConfigFile(file, 'test')).search.alphaSharing).toBe('cell');
      expect(resolveConfig({}, 'test').search.alphaSharing).toBe('cell');
    }));

  it('voxnas search --resume on a corrupted config.json exits 1 naming the file and field', () =>
    withTempDir(async (dir) => {
      await write(join(dir, 'config.json'), { format: 'voxnas-run@1', config: { search: { sampler: 'gumbell' } } });
      const r = await runCli(['search', '--resume', dir]);
      expect(r.code).toBe(1);
      expect(r.err.replaceAll(dir, '<dir>')).toBe(
        `voxnas search: ConfigError [E_CONFIG]: <dir>/config.json: field 'search.sampler' must be one of 'gumbel', 'full', 'uniform', got 'gumbell' (did you mean 'gumbel'?)`,
      );
    }));

  it('a network.json: every bad field listed; a bad genotype is a GenotypeError', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'network.json');
      await write(file, { kind: 'unet', options: { levels: '3', norm: 'layer', extra: 1 } });
      const e = await caught(readNetworkSpec(file, 'test'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(`
        "<dir>/network.json: not a valid network.json: 
          options.levels: expected number, got '3'
          options.norm: expected one of 'instance', 'batch', 'group', 'none', got 'layer'
          options: unknown field(s) 'extra'"
      `);
      await write(file, { kind: 'resnet' });
      expect((await caught(readNetworkSpec(file, 'test'))).message).toContain(`kind: expected one of 'unet', 'child', got 'resnet'`);
      await write(file, { kind: 'child', origin: 'file', genotype: { schema: 'voxnas/genotype@1' } });
      const g = await caught(readNetworkSpec(file, 'test'));
      expect(g.name).toBe('GenotypeError');
      expect(g.message).toContain(file);
      await write(file, { kind: 'unet', options: { levels: 2, baseChannels: 4, norm: 'instance' } });
      expect(await readNetworkSpec(file, 'test')).toEqual({ kind: 'unet', options: { levels: 2, baseChannels: 4, norm: 'instance' } });
    }));

  it('voxnas train --resume with a corrupted arch.json exits 1 before touching the run', () =>
    withTempDir(async (dir) => {
      await write(join(dir, 'config.json'), { format: 'voxnas-run@1', config: {} });
      await write(join(dir, 'arch.json'), { arch: 5 });
      const r = await runCli(['train', '--resume', dir]);
      expect(r.code).toBe(1);
      expect(r.err.replaceAll(dir, '<dir>')).toBe(
        'voxnas train: FormatError [E_FORMAT]: <dir>/arch.json: not a valid arch.json: arch: expected string, got 5',
      );
    }));

  it('evaluate --compare and report reject corrupted metrics.json / search.json with FormatError naming the field', () =>
    withTempDir(async (dir) => {
      const a = join(dir, 'a');
      await mkdir(a);
      await write(join(a, 'metrics.json'), { cases: [{ caseId: 7, result: { classes: [] } }] });
      const r = await runCli(['evaluate', '--compare', a, a]);
      expect(r.code).toBe(1);
      expect(r.err.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(`
        "voxnas evaluate: FormatError [E_FORMAT]: <dir>/a/metrics.json: not a valid metrics.json: 
          cases.0.caseId: expected string, got 7
          summary: expected object, got nothing"
      `);
      const s = join(dir, 's');
      await mkdir(s);
      await write(join(s, 'log.jsonl'), '{"type":"search-step","step":0}\n');
      await write(join(s, 'search.json'), { steps: 6, params: 'many' });
      const rep = await runCli(['report', '--run', s, '--out', join(dir, 'r.html')]);
      expect(rep.code).toBe(1);
      expect(rep.err.replaceAll(dir, '<dir>')).toBe(
        `voxnas report: FormatError [E_FORMAT]: <dir>/s/search.json: not a valid search.json: params: expected number, got 'many'`,
      );
    }));

  it('a model card: format, architecture and inference settings are checked', () => {
    const card = {
      format: 'voxnas-model-card@1',
      createdAt: '2026-01-01T00:00:00.000Z',
      architecture: { kind: 'unet', options: { levels: 2 } },
      parameters: 10,
      flops: null,
      preprocessing: { normalization: 'z', spacingMm: [1, 1, 2], orientation: 'RAS', modalities: ['CT'], labels: { 0: 'bg', 1: 'x' } },
      patchSize: [16, 16, 16],
      inference: { overlap: 0.5, mirror: false, windowsPerBatch: 2 },
      validation: null,
      seed: 0,
      packages: { voxnas: '0.0.0' },
    };
    expect(parseWith(MODEL_CARD_FILE, card, 'model-card.json')).toEqual(card);
    const bad = { ...card, patchSize: [16, 16], inference: { ...card.inference, overlap: 2 } };
    expect(() => parseWith(MODEL_CARD_FILE, bad, 'm/model-card.json')).toThrowErrorMatchingInlineSnapshot(`
      [FormatError: m/model-card.json: not in the expected format: 
        patchSize: Too small: expected array to have >=3 items, got [16,16]
        inference.overlap: Too big: expected number to be <=0.95, got 2]
    `);
  });

  it('readJsonFile names a missing file (ConfigError)', async () => {
    const e = await caught(readJsonFile('/nonexistent/x.json', MODEL_CARD_FILE, 'voxnas predict --run /nonexistent'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('voxnas predict --run /nonexistent: /nonexistent/x.json is missing');
  });
});
