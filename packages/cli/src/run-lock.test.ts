import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { lockRunDir } from './pipeline/run.js';

describe('lockRunDir', () => {
  it('refuses a directory locked by a live process, naming it', async () => {
    await withTempDir(async (dir) => {
      const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
      try {
        writeFileSync(join(dir, 'run.lock'), `${sleeper.pid}\n`);
        await expect(lockRunDir(dir)).rejects.toThrow(ConfigError);
        await expect(lockRunDir(dir)).rejects.toThrow(`run directory ${dir} is in use by process ${sleeper.pid}`);
      } finally {
        sleeper.kill('SIGKILL');
      }
    });
  });

  it('takes over the lock of a dead process and holds it for this one', async () => {
    await withTempDir(async (dir) => {
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((done) => dead.on('exit', done));
      writeFileSync(join(dir, 'run.lock'), `${dead.pid}\n`);
      await lockRunDir(dir);
      expect(readFileSync(join(dir, 'run.lock'), 'utf8').trim()).toBe(String(process.pid));
      await lockRunDir(dir); // re-entrant for the same process
      expect(existsSync(join(dir, 'run.lock'))).toBe(true);
    });
  });
});
