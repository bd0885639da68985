import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { TrainConfigError } from '../errors.js';
import { hashFiles, openRunDir } from './run-dir.js';

describe('openRunDir', () => {
  it('writes config.json with provenance, and reopens the same run as resumed', async () => {
    await withTempDir(async (dir) => {
      const config = { model: 'unet', lr: 0.01, patch: [32, 32, 16] };
      const run = await openRunDir(join(dir, 'r'), { config, seed: 7, dataHash: 'sha256:ab' });
      expect(run.resumed).toBe(false);
      const file = JSON.parse(await readFile(join(dir, 'r', 'config.json'), 'utf8'));
      expect(file).toMatchObject({ format: 'voxnas-run@1', config, seed: 7, dataHash: 'sha256:ab', backend: 'cpu' });
      // A commit of this repository (others may commit meanwhile, so HEAD may have moved on).
      expect(file.gitSha).toMatch(/^[0-9a-f]{40}$/);
      expect(() => execFileSync('git', ['merge-base', '--is-ancestor', file.gitSha, 'HEAD'])).not.toThrow();
      expect(file.versions['@tensorflow/tfjs-core']).toBe('4.22.0');
      expect(file.versions['@voxnas/train']).toMatch(/^\d+\.\d+\.\d+/);
      expect(file.versions['@voxnas/volume']).toMatch(/^\d+\.\d+\.\d+/);
      await run.log.append({ type: 'step', step: 0, loss: 1 });

      // Key order does not matter; the existing file is kept.
      const again = await openRunDir(join(dir, 'r'), { config: { patch: [32, 32, 16], lr: 0.01, model: 'unet' }, seed: 7, dataHash: 'sha256:ab' });
      expect(again.resumed).toBe(true);
      expect(again.configFile.createdAt).toBe(file.createdAt);
      expect(await again.log.read()).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), type: 'step', step: 0, loss: 1 }]);

      const err = await openRunDir(join(dir, 'r'), { config: { ...config, lr: 0.1 }, seed: 8, dataHash: 'sha256:ab' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrainConfigError);
      expect((err as Error).message.split(dir).join('<dir>')).toMatchInlineSnapshot(`"openRunDir(<dir>/r): the directory holds a different run — config, seed (7 vs 8) differ; resume with the same settings or use a new directory"`);
    });
  });
});

describe('hashFiles', () => {
  it('matches the documented scheme (Python hashlib) and sees renames and edits', async () => {
    await withTempDir(async (dir) => {
      const a = join(dir, 'b', 'img.nii');
      await mkdir(join(dir, 'b'));
      await writeFile(a, new Uint8Array([1, 2, 3, 250]));
      await writeFile(join(dir, 'a.txt'), 'hello');
      const files = [a, join(dir, 'a.txt')];
      const h = await hashFiles(files, { root: dir });
      const ref = runPythonReference<string>(
        `
import hashlib, json, os, sys
d = json.load(sys.stdin)
h = hashlib.sha256()
for rel in sorted(d['rels']):
    data = open(os.path.join(d['root'], rel), 'rb').read()
    h.update(f"{rel}\\0{len(data)}\\0".encode()); h.update(data)
print(json.dumps('sha256:' + h.hexdigest()))
`,
        { root: dir, rels: ['b/img.nii', 'a.txt'] },
      );
      expect(h).toBe(ref);
      await writeFile(join(dir, 'a.txt'), 'hellp');
      const edited = await hashFiles(files, { root: dir });
      expect(edited).not.toBe(h);
      await rename(join(dir, 'a.txt'), join(dir, 'c.txt'));
      expect(await hashFiles([a, join(dir, 'c.txt')], { root: dir })).not.toBe(edited);
    });
  });
});
