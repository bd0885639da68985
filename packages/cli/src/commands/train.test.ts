import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli as voxnas } from '../../test/run-cli.js';

const root = resolve(__dirname, '..', '..', '..', '..');
const NODE_ARGS = ['--import', 'tsx', '--conditions=@voxnas/source', join(root, 'packages', 'cli', 'src', 'bin.ts')];

const SET = ['search.levels=2', 'search.baseChannels=2', 'search.nodes=1', 'data.patchSize=[16,16,16]', 'data.batchSize=1', 'data.phantomCases=4', 'data.folds=2', 'train.steps=1', 'train.warmupSteps=0', 'inference.overlap=0'].flatMap((v) => ['--set', v]);

describe('voxnas train --resume', () => {
  it('keeps the --arch the run started with (saved in arch.json), also when no network was decided yet', () =>
    withTempDir(async (tmp) => {
      const dir = join(tmp, 'run');
      const first = await voxnas(['train', '--out', dir, '--arch', 'random', ...SET]);
      expect(first.code, first.err).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'arch.json'), 'utf8'))).toEqual({ arch: 'random' });
      const network = readFileSync(join(dir, 'network.json'), 'utf8');
      // as if the first attempt had stopped before deciding the network
      rmSync(join(dir, 'network.json'));
      rmSync(join(dir, 'train.json'));
      const again = await voxnas(['train', '--resume', dir]);
      expect(again.code, again.err).toBe(0);
      expect(readFileSync(join(dir, 'network.json'), 'utf8')).toBe(network); // random again, same seed — not the default U-Net
      const other = await voxnas(['train', '--resume', dir, '--arch', 'unet']);
      expect(other.code).not.toBe(0);
      expect(other.err).toContain('the run was started with --arch random, not unet (a resumed run is the same run)');
    }));
});

describe('voxnas train: argument errors are found before the run directory exists', () => {
  it('a bad --arch, --match, config or dataset writes nothing; a retry with the same --out then works', () =>
    withTempDir(async (tmp) => {
      const dir = join(tmp, 'run');
      const notGenotype = join(tmp, 'not-a-genotype.json');
      writeFileSync(notGenotype, JSON.stringify({ schema: 'voxnas/genotype@1', choices: 3 }));
      const cases: Array<[string[], RegExp]> = [
        [['--arch', join(tmp, 'missing.json')], /ConfigError \[E_CONFIG\]: --arch .*missing\.json: no such genotype file \(expected unet, random or a genotype\.json\)/],
        [['--arch', notGenotype], /GenotypeError \[E_GENOTYPE\]: .*not-a-genotype\.json/],
        [['--arch', 'unet', '--match', join(tmp, 'missing.json')], /ConfigError \[E_CONFIG\]: --match .*missing\.json: no such genotype file/],
        [['--match', notGenotype], /GenotypeError \[E_GENOTYPE\]: .*not-a-genotype\.json/],
        [['--set', 'train.optimizer=adamm'], /field 'train\.optimizer' must be one of 'adamw', 'adam', 'sgd', got 'adamm' \(did you mean 'adamw'\?\)/],
        [['--set', `data.dataset=${join(tmp, 'no-such-dataset')}`], /field 'data\.dataset' is '.*no-such-dataset', but .* does not exist/],
      ];
      for (const [args, message] of cases) {
        const r = await voxnas(['train', '--out', dir, ...SET, ...args]);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(1);
        expect(r.err).toMatch(message);
        expect(existsSync(dir), `${args.join(' ')} left ${dir} behind`).toBe(false);
      }
      // --quiet: nothing but the final line
      const ok = await voxnas(['train', '--out', dir, ...SET, '--arch', 'random', '--quiet']);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err).toBe('');
      expect(ok.out).toMatch(/^train done: .*run \(random, \d+ parameters, mean Dice \d\.\d{4}\)$/);
    }));
});

describe('voxnas train with its output to a pipe', () => {
  it('prints plain periodic progress lines (step/total, loss, steps/s, ETA); log.jsonl records carry time and stepMs', () =>
    withTempDir(async (tmp) => {
      const dir = join(tmp, 'run');
      const steps = ['--set', 'train.steps=5', '--set', 'train.validateEvery=5'];
      const r = spawnSync(process.execPath, [...NODE_ARGS, 'train', '--out', dir, ...SET, ...steps, '--verbose'], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, VOXNAS_PROGRESS_INTERVAL: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stderr.split('\n');
      const progress = lines.filter((l) => l.startsWith('train step '));
      expect(progress.map((l) => /^train step (\d+)\/5 loss \d+\.\d{3} \| \d+\.\d+ steps\/s ETA \d+:\d\d$/.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5']);
      expect(r.stderr).not.toContain('\r');
      expect(r.stderr).toMatch(/config fields not at their default: .*train\.steps=5/);
      expect(r.stdout.trim()).toMatch(/^train done: /);
      const records = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.filter((x) => x.type === 'step')).toHaveLength(5);
      for (const x of records) {
        expect(new Date(x.time as string).toISOString()).toBe(x.time);
        if (x.type === 'step') expect(x.stepMs).toBeGreaterThan(0);
      }
    }));
});

describe('voxnas train: train.recompute', () => {
  it('edge gives the same training as none (same losses step by step) for a searched network and the U-Net', () =>
    withTempDir(async (tmp) => {
      const steps = ['--set', 'train.steps=3', '--set', 'train.validateEvery=3'];
      const losses = async (arch: string, recompute: string) => {
        const dir = join(tmp, `${arch}-${recompute}`);
        const r = await voxnas(['train', '--out', dir, '--arch', arch, ...SET, ...steps, '--set', `train.recompute=${recompute}`]);
        expect(r.code, r.err).toBe(0);
        const records = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number });
        return records.filter((x) => x.type === 'step').map((x) => x.loss!);
      };
      for (const arch of ['random', 'unet']) {
        const plain = await losses(arch, 'none');
        const recomputed = await losses(arch, 'edge');
        expect(plain).toHaveLength(3);
        expect(recomputed).toHaveLength(3);
        recomputed.forEach((l, i) => expect(l).toBeCloseTo(plain[i]!, 4));
      }
    }));
});
