import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The published `voxnas` bin (dist/bin.js, built by `pnpm test`'s build step) runs under plain Node.
const bin = resolve(__dirname, '..', 'dist', 'bin.js');

describe('built voxnas bin', () => {
  it('exists', () => expect(existsSync(bin)).toBe(true));

  it('doctor --json runs under plain node and reports the backend', () => {
    const r = spawnSync(process.execPath, [bin, 'doctor', '--json'], { encoding: 'utf8', cwd: join(__dirname, '..') });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.backend).toBe('cpu');
    expect(report.packages.voxnas).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command exits 2', () => {
    const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});
