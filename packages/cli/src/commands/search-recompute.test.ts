import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { tinySettings } from '../../test/tiny-settings.js';

const TINY = tinySettings('search.steps=3', 'search.warmupSteps=1', 'search.deriveEvery=3');

interface StepRecord {
  readonly type: string;
  readonly weightLoss: number;
  readonly archLoss: number | null;
  readonly active: Record<string, number[]>;
}

describe('voxnas search: search.recompute', () => {
  it.each(['cell', 'edge'])('%s gives the same search as none: the same sampled paths and losses step by step, the same genotype', (mode) =>
    withTempDir(async (tmp) => {
      const run = async (recompute: string) => {
        const dir = join(tmp, recompute);
        const r = await runCli(['search', '--out', dir, ...TINY, '--set', `search.recompute=${recompute}`]);
        expect(r.code, r.err).toBe(0);
        const records = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepRecord);
        return { steps: records.filter((x) => x.type === 'search-step'), genotype: JSON.parse(readFileSync(join(dir, 'genotype-final.json'), 'utf8')) as unknown };
      };
      const plain = await run('none');
      const recomputed = await run(mode);
      expect(plain.steps).toHaveLength(3);
      expect(recomputed.steps.map((s) => s.active)).toEqual(plain.steps.map((s) => s.active));
      recomputed.steps.forEach((s, i) => {
        expect(s.weightLoss).toBeCloseTo(plain.steps[i]!.weightLoss, 4);
        if (plain.steps[i]!.archLoss === null) expect(s.archLoss).toBeNull();
        else expect(s.archLoss!).toBeCloseTo(plain.steps[i]!.archLoss!, 4);
      });
      expect(recomputed.genotype).toEqual(plain.genotype);
    }),
  );
});
