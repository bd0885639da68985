import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { withTempDir } from '@voxnas/testing';
import { DEFAULT_CONFIG, loadConfig, resolveConfig } from './index.js';
import { main } from './main.js';

const README = new URL('../README.md', import.meta.url);

async function readme(): Promise<string> {
  return readFile(README, 'utf8');
}

describe('README', () => {
  it('the config example resolves to the documented values (and loads from a .yaml file)', async () => {
    const text = await readme();
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)![1]!;
    const cfg = resolveConfig(parseYaml(yaml), 'README.md');
    expect(cfg.seed).toBe(7);
    expect(cfg.data).toEqual({ ...DEFAULT_CONFIG.data, dataset: 'phantom', phantomCases: 6, patchSize: [32, 32, 16] });
    expect(cfg.search).toEqual({ ...DEFAULT_CONFIG.search, levels: 3, steps: 60, warmupSteps: 10 });
    expect(cfg.train).toEqual({ ...DEFAULT_CONFIG.train, steps: 150, loss: 'dice-ce' });
    expect(cfg.inference).toEqual({ ...DEFAULT_CONFIG.inference, mirror: true });
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'voxnas.yaml'), yaml);
      expect(await loadConfig(join(dir, 'voxnas.yaml'))).toEqual(cfg);
    });
  });

  it('the defaults table lists every config field with its DEFAULT_CONFIG value', async () => {
    const text = await readme();
    const rows = [...text.matchAll(/^\| `([a-zA-Z.]+)` \| `([^`]*)` \|/gm)].map((m) => [m[1]!, m[2]!] as const);
    const documented = Object.fromEntries(rows.filter(([k]) => k === 'seed' || k.includes('.')));
    const flat: Record<string, unknown> = { seed: DEFAULT_CONFIG.seed };
    for (const section of ['data', 'search', 'train', 'inference'] as const) {
      for (const [k, v] of Object.entries(DEFAULT_CONFIG[section])) flat[`${section}.${k}`] = v;
    }
    expect(Object.keys(documented).sort()).toEqual(Object.keys(flat).sort());
    for (const [key, value] of Object.entries(flat)) {
      const shown = documented[key]!;
      const parsed = typeof value === 'string' ? shown : JSON.parse(shown);
      expect(parsed, key).toEqual(value);
    }
  });

  it('documents every command of the CLI and its exit codes', async () => {
    const text = await readme();
    const out: string[] = [];
    expect(await main(['--help'], { out: (t) => out.push(t), err: () => {} })).toBe(0);
    const commands = [...out.join('\n').matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['search', 'train', 'evaluate', 'predict', 'export', 'report']));
    for (const c of ['search', 'train', 'evaluate', 'predict', 'export', 'report']) expect(text).toContain(`voxnas ${c} `);
    for (const code of ['`0`', '`1`', '`2`', '`70`']) expect(text).toContain(`| ${code} |`);
  });
});
