import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { onNiftiFileRead } from '@voxnas/volume/node';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli.js';

// Each source case file is read once per process during `voxnas search` (counted by the NIfTI reading
// layer's read hook, not a mock): the plan's fingerprint reads it, preprocessing reuses the decoded
// case, the preprocessed copy is written once and never read back (the loaders and the validation
// share the decoded cases). A resumed run reads each source file once (its data hash) and each
// preprocessed file once.

const TINY = [
  'search.levels=2',
  'search.baseChannels=2',
  'search.nodes=2',
  'data.patchSize=[16,16,16]',
  'data.batchSize=1',
  'data.phantomCases=4',
  'data.folds=2',
  'data.augmentation=none',
  'search.steps=2',
  'search.warmupSteps=0',
  'search.deriveEvery=2',
  'search.checkpointEvery=1',
  'inference.overlap=0',
].flatMap((s) => ['--set', s]);

async function counting(args: string[]): Promise<Map<string, number>> {
  const reads = new Map<string, number>();
  const stop = onNiftiFileRead(({ path }) => reads.set(path, (reads.get(path) ?? 0) + 1));
  try {
    const { code, err } = await runCli(args);
    if (code !== 0) throw new Error(`voxnas ${args.join(' ')} exited ${code}: ${err}`);
  } finally {
    stop();
  }
  return reads;
}

const files = (dir: string) => readdirSync(dir).map((f) => join(dir, f));

describe('voxnas search reads each case file once per process', () => {
  it('new run: every source training file once, the preprocessed copy written once and not read; resume: source once (hash) + copy once', { timeout: 600_000 }, async () => {
    await withTempDir(async (tmp) => {
      const run = join(tmp, 'run');
      const reads = await counting(['search', '--out', run, ...TINY]);
      const phantom = join(run, 'data', 'phantom');
      const source = [...files(join(phantom, 'imagesTr')), ...files(join(phantom, 'labelsTr'))].sort();
      expect(source).toHaveLength(8);
      expect([...reads.keys()].sort()).toEqual(source);
      expect([...reads.values()]).toEqual(Array(8).fill(1));
      const copy = [...files(join(run, 'preprocessed', 'imagesTr')), ...files(join(run, 'preprocessed', 'labelsTr'))];
      expect(copy).toHaveLength(8);
      expect(existsSync(join(run, 'plan.json'))).toBe(true);

      // `search --resume` of a finished run: prepares the data again in a new "process" (run).
      const again = await counting(['search', '--resume', run]);
      expect([...again.keys()].sort()).toEqual([...source, ...copy].sort());
      expect([...again.values()]).toEqual(Array(16).fill(1));
    });
  });
});
