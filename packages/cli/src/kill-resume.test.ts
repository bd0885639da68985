import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { tinySettings } from '../test/tiny-settings.js';

// The exactness of resume, tested the hard way: a real `voxnas search` process is killed with SIGKILL
// in the middle of its run, resumed from its directory, and must end with exactly the genotype,
// architecture parameters and weights of an uninterrupted run on the same backend.

const root = resolve(__dirname, '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
// Node itself with tsx's loader (not the tsx CLI, which runs Node as a child: killing the CLI would
// orphan the real process instead of killing it).
const NODE_ARGS = ['--import', 'tsx', '--conditions=@voxnas/source', bin];
const SETTINGS = tinySettings('search.steps=6', 'search.warmupSteps=2', 'search.deriveEvery=3', 'search.checkpointEvery=1');

function voxnasSync(args: string[]): void {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`voxnas ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
}

function latestStep(dir: string): number {
  const pointer = join(dir, 'checkpoints', 'latest');
  if (!existsSync(pointer)) return -1;
  const m = /step-(\d+)/.exec(readFileSync(pointer, 'utf8'));
  return m ? Number(m[1]) : -1;
}

function finalWeights(dir: string): Buffer {
  const name = readFileSync(join(dir, 'checkpoints', 'latest'), 'utf8').trim();
  return readFileSync(join(dir, 'checkpoints', name, 'model', 'weights.bin'));
}

describe('voxnas search killed with SIGKILL and resumed', () => {
  it('ends bit-identical to an uninterrupted run', async () => {
    await withTempDir(async (tmp) => {
      const a = join(tmp, 'a');
      const b = join(tmp, 'b');
      voxnasSync(['search', '--out', a, ...SETTINGS]);

      const child = spawn(process.execPath, [...NODE_ARGS, 'search', '--out', b, ...SETTINGS], { stdio: 'ignore', cwd: root });
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      // Kill as soon as a mid-run checkpoint exists (step 3 of 6: after warm-up, α has moved).
      const killedAt = await new Promise<number>((done, fail) => {
        const timer = setInterval(() => {
          const step = latestStep(b);
          if (step >= 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
            done(step);
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            fail(new Error(`the run ended (exit ${child.exitCode}) before it could be killed`));
          }
        }, 50);
      });
      await exited;
      expect(existsSync(join(b, 'genotype.json'))).toBe(false);
      expect(killedAt).toBeLessThan(6);

      voxnasSync(['search', '--resume', b]);
      expect(readFileSync(join(b, 'genotype.json'), 'utf8')).toBe(readFileSync(join(a, 'genotype.json'), 'utf8'));
      expect(readFileSync(join(b, 'genotype-final.json'), 'utf8')).toBe(readFileSync(join(a, 'genotype-final.json'), 'utf8'));
      // Weights and α (α are saved with the weights under arch/…): byte for byte.
      expect(finalWeights(b).equals(finalWeights(a))).toBe(true);
      // The resumed log reads as if the run had never stopped.
      const steps = (dir: string) =>
        readFileSync(join(dir, 'log.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((r) => r.type === 'search-step')
          .map((r) => [r.step, r.weightLoss, r.archLoss]);
      expect(steps(b)).toEqual(steps(a));
      const summary = JSON.parse(readFileSync(join(b, 'search.json'), 'utf8'));
      expect(summary.resumedFrom).toBeGreaterThanOrEqual(3);
    });
  }, 900_000);
});
