import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { runCli as voxnas } from '../test/run-cli.js';

const fixture = fileURLToPath(new URL('../test/fixture-plugin.mjs', import.meta.url));
const TINY = ['search.levels=2', 'search.baseChannels=2', 'search.nodes=2', 'data.patchSize=[16,16,16]', 'data.batchSize=1', 'data.phantomCases=4', 'data.folds=2', 'search.steps=2', 'search.warmupSteps=0', 'search.deriveEvery=2', 'train.steps=1', 'train.warmupSteps=0', 'inference.overlap=0'];
const sets = (xs: string[]) => xs.flatMap((s) => ['--set', s]);

describe('config plugins and search.candidates', () => {
  it('validates both fields', () => {
    expect(resolveConfig({}).plugins).toEqual([]);
    expect(resolveConfig({}).search.candidates).toEqual([]);
    expect(() => resolveConfig({ plugins: 'x.mjs' })).toThrowErrorMatchingInlineSnapshot(`[ConfigError: config: field 'plugins' must be a list of non-empty strings, got 'x.mjs']`);
    expect(() => resolveConfig({ search: { candidates: ['zero', ''] } })).toThrowErrorMatchingInlineSnapshot(`[ConfigError: config: field 'search.candidates' must be a list of non-empty strings, got ["zero",""]]`);
  });

  it('a plugin’s operator is searched and trained; the run saves the plugin’s absolute path', () =>
    withTempDir(async (tmp) => {
      const candidates = ['zero', 'identity', 'fixture-pointwise'];
      // given relative to the working directory
      const plugins = [`./${relative(process.cwd(), fixture)}`];
      const search = join(tmp, 'search');
      const s = await voxnas(['search', '--out', search, ...sets([...TINY, `plugins=${JSON.stringify(plugins)}`, `search.candidates=${JSON.stringify(candidates)}`])]);
      expect(s.code, s.err).toBe(0);
      expect(JSON.parse(readFileSync(join(search, 'config.json'), 'utf8')).config.plugins).toEqual([fixture]);
      const { choices } = JSON.parse(readFileSync(join(search, 'genotype.json'), 'utf8')) as { choices: Record<string, string> };
      for (const op of Object.values(choices)) expect(candidates).toContain(op);
      const t = await voxnas(['train', '--out', join(tmp, 'train'), '--arch', join(search, 'genotype.json'), '--json', ...sets([...TINY, `plugins=${JSON.stringify([fixture])}`])]);
      expect(t.code, t.err).toBe(0);
    }));

  it('an unknown candidate and a plugin that does not load are errors naming them', () =>
    withTempDir(async (tmp) => {
      const unknown = await voxnas(['search', '--out', join(tmp, 'a'), ...sets([...TINY, 'search.candidates=["zero","conv-9x9x9"]'])]);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('conv-9x9x9');
      const missing = await voxnas(['search', '--out', join(tmp, 'b'), ...sets([...TINY, 'plugins=["./no-such-plugin.mjs"]'])]);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain(`ConfigError [E_CONFIG]: config: plugin '${join(process.cwd(), 'no-such-plugin.mjs')}' failed to load: Cannot find module`);
      // a bare name is a package; an existing file of that name gets a hint
      const bare = await voxnas(['search', '--out', join(tmp, 'c'), ...sets([...TINY, 'plugins=["README.md"]'])]);
      expect(bare.code).toBe(1);
      expect(bare.err).toContain("config: plugin 'README.md' failed to load (a file? write './README.md'): ");
    }));
});
