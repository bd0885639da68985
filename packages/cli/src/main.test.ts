import { describe, expect, it } from 'vitest';
import { writeNifti } from '@voxnas/volume/node';
import { createVolume } from '@voxnas/volume';
import { withTempDir } from '@voxnas/testing';
import { join } from 'node:path';
import { COMMANDS, main } from './main.js';
import { COMMON_FLAGS, flagHelp, type FlagSpec } from './command.js';
import { configFields } from './config-json-schema.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('voxnas main', () => {
  it('prints help and exits 2 with no command', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(2);
    expect(c.out.join('\n')).toContain('usage: voxnas <command>');
  });

  it('unknown command exits 2 naming the known ones, with a did-you-mean hint', async () => {
    const c = capture();
    expect(await main(['serch'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/unknown command 'serch' \(did you mean 'search'\?\)\. Commands: .*doctor.*info/);
    const d = capture();
    expect(await main(['qwertyuiop'], d.io)).toBe(2);
    expect(d.err.join('\n')).toMatch(/^voxnas: unknown command 'qwertyuiop'\. Commands: derive, doctor, evaluate, experiment, export, info, plan, predict, report, search, search-quality, train$/);
  });

  it('unknown flag is a usage error (exit 2)', async () => {
    const c = capture();
    expect(await main(['info', '--bogus', 'x'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain("voxnas info: Unknown option '--bogus'");
  });

  it.each([
    [['serach'], `voxnas: unknown command 'serach' (did you mean 'search'?).`],
    [['trian', '--out', 'x'], `voxnas: unknown command 'trian' (did you mean 'train'?).`],
    [['--verison'], `voxnas: unknown option '--verison' (did you mean '--version'?).`],
    [['train', '--outt', 'x'], `voxnas train: Unknown option '--outt' (did you mean '--out'?)`],
    [['search', '--dryrun'], `voxnas search: Unknown option '--dryrun' (did you mean '--dry-run'?)`],
    [['predict', '--mirrror'], `voxnas predict: Unknown option '--mirrror' (did you mean '--mirror'?)`],
    [['info', '--zzzzzz'], `voxnas info: Unknown option '--zzzzzz'; its flags are --json, --quiet, --verbose, --help`],
    [['train', '--out'], `voxnas train: option '--out' needs a value: --out <run-dir>`],
    [['train', '--out', '--json'], `voxnas train: option '--out' needs a value: --out <run-dir>`],
    [['info', 'x', '--json=yes'], `voxnas info: option '--json' is a switch and takes no value, got '--json=yes'`],
    [['search', '--quiet', '--verbose', '--out', 'x'], `voxnas search: --quiet and --verbose contradict each other; give one`],
    [['search', '--out', 'x', '--progress-interval', 'often'], `voxnas search: --progress-interval is 'often', expected a number of seconds ≥ 0`],
    [['train', '--out', 'x', '--arch', 'random', '--match', 'g.json'], `voxnas train: --match sizes a U-Net; it needs --arch unet (or no --arch), got --arch random`],
  ])('usage error %j: exit 2, a hint, balanced quotes, the usage line', async (args, first) => {
    const c = capture();
    expect(await main(args, c.io)).toBe(2);
    const text = c.err.join('\n');
    expect(text.split('\n')[0]).toContain(first);
    for (const line of text.split('\n')) expect((line.match(/'/g) ?? []).length % 2, line).toBe(0);
    if (args[0] === 'train' || args[0] === 'search' || args[0] === 'info' || args[0] === 'predict') {
      expect(text).toContain(`usage: voxnas ${args[0]} `);
      expect(text).toContain(`Run 'voxnas ${args[0]} --help' for every flag.`);
    }
  });

  it('every command --help lists every flag with its meaning and default', async () => {
    for (const cmd of COMMANDS) {
      const c = capture();
      expect(await main([cmd.name, '--help'], c.io)).toBe(0);
      const help = c.out.join('\n');
      expect(help.startsWith(`usage: voxnas ${cmd.name} ${cmd.usage}\n\n${cmd.summary}`)).toBe(true);
      // the same text through 'voxnas help <command>'
      const d = capture();
      expect(await main(['help', cmd.name], d.io)).toBe(0);
      expect(d.out.join('\n')).toBe(help);
      for (const [name, spec] of Object.entries({ ...cmd.flags, ...COMMON_FLAGS }) as Array<[string, FlagSpec]>) {
        const line = help.split('\n').find((l) => l.includes(`--${name} `) || l.endsWith(`--${name}`));
        expect(line, `${cmd.name} --${name}`).toBeDefined();
        const { description, default: def } = flagHelp(spec);
        const block = help.slice(help.indexOf(line!));
        if (spec.aliasOf) expect(block).toContain(`deprecated spelling of --${spec.aliasOf}`);
        else {
          expect(description.length, `${cmd.name} --${name}`).toBeGreaterThan(10);
          expect(block).toContain(description);
          if (def !== undefined) expect(block).toContain(`(default: ${def})`);
        }
      }
    }
  });

  it('train --help: config-backed flags take their text and default from the config schema', async () => {
    const c = capture();
    expect(await main(['train', '--help'], c.io)).toBe(0);
    const help = c.out.join('\n');
    expect(help).toMatch(/--seed <n> +root seed; forked by name into data, augment, sampler and init streams \(config field seed\) \(default: 0\)/);
    expect(help).toMatch(/--arch <unet\|random\|genotype\.json>\n? *the network: .* \(default: unet\)/);
    expect(help).toMatch(/--set <key\.path=value> +override one config field.*\(repeatable\)/);
    expect(help).toMatch(/-h, --help +this help/);
    const p = capture();
    await main(['predict', '--help'], p.io);
    expect(p.out.join('\n')).toMatch(/--mirror +test-time mirroring over x, y, z \(config field inference\.mirror\) \(default: the run's inference\.mirror\)/);
    expect(p.out.join('\n')).toMatch(/--output <dir> +deprecated spelling of --out/);
  });

  it('help config lists every config field with type, default and meaning', async () => {
    const c = capture();
    expect(await main(['help', 'config'], c.io)).toBe(0);
    const text = c.out.join('\n');
    const fields = configFields();
    expect(fields.map((f) => f.path)).toEqual(expect.arrayContaining(['seed', 'data.patchSize', 'search.sampler', 'train.loss', 'inference.mirror']));
    for (const f of fields) {
      const at = text.indexOf(`  ${f.path} `);
      expect(at, f.path).toBeGreaterThanOrEqual(0);
      const block = text.slice(at, text.indexOf('\n', text.indexOf('\n', at) + 1));
      expect(block).toContain(f.description);
      expect(block).toContain(`${f.type}; default ${typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}`);
    }
    expect(text).toContain("search.sampler");
    expect(text).toContain("one of 'gumbel', 'full', 'uniform'; default gumbel");
    const bad = capture();
    expect(await main(['help', 'confg'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toContain(`voxnas help: no help on 'confg' (did you mean 'config'?)`);
  });

  it('info reads a volume and reports its geometry', async () => {
    await withTempDir(async (dir) => {
      const data = new Int16Array(5 * 6 * 7).map((_, i) => i % 11);
      const affine = [2, 0, 0, -10, 0, 1.5, 0, 4, 0, 0, 3, 7, 0, 0, 0, 1];
      const path = join(dir, 'v.nii.gz');
      await writeNifti(createVolume({ data, shape: [5, 6, 7], affine }), path);
      const c = capture();
      expect(await main(['info', path, '--json'], c.io)).toBe(0);
      const r = JSON.parse(c.out[0]!);
      expect(r).toMatchObject({ kind: 'volume', shape: [5, 6, 7], dtype: 'int16', spacingMm: [2, 1.5, 3], min: 0, max: 10 });
      expect(r.affine[0]).toEqual([2, 0, 0, -10]);
    });
  });

  it('info on a corrupt file exits 1 with the typed error', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'bad.nii');
      await (await import('node:fs/promises')).writeFile(path, new Uint8Array(100));
      const c = capture();
      expect(await main(['info', path], c.io)).toBe(1);
      expect(c.err.join('\n')).toMatch(/^voxnas info: NiftiFormatError \[E_NIFTI_FORMAT\]: /);
    });
  });

  it('doctor reports the cpu backend and versions', async () => {
    const c = capture();
    expect(await main(['doctor', '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out[0]!);
    expect(r.backend).toBe('cpu');
    expect(r.packages['@voxnas/volume']).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.cores).toBeGreaterThan(0);
    // GPU paths: WebGPU (adapter or why not) and tfjs-node-gpu, one line each
    expect(r.gpu[0]).toMatch(/^webgpu {9}\S/);
    expect(r.gpu.some((l: string) => l.startsWith('tfjs-node-gpu  '))).toBe(true);
  });
});
