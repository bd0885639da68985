import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli as voxnas } from '../internal/run-cli.js';

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
