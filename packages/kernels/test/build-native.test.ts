import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));

/** A copy of the package's build inputs in `dir` (node_modules linked), so the real build/ is untouched. */
function stage(dir: string): void {
  for (const p of ['binding.gyp', 'native', 'scripts']) cpSync(join(pkg, p), join(dir, p), { recursive: true });
  symlinkSync(join(pkg, 'node_modules'), join(dir, 'node_modules'));
}

function run(dir: string, args: string[], env: Record<string, string> = {}): string {
  // Throws when the exit code is non-zero, which is what these tests rule out.
  return execFileSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs'), ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('scripts/build-native.mjs never fails the install', () => {
  it('a missing compiler: exit 0, one line naming it and the exact fix, and the cause recorded for doctor', () =>
    withTempDir(async (dir) => {
      stage(dir);
      const cxx = join(dir, 'no-such-compiler');
      const out = run(dir, [], { CXX: cxx, CC: cxx });
      expect(out.trim().split('\n')).toHaveLength(1);
      const install = process.getuid?.() === 0 ? 'apt-get install -y g++ make python3' : 'sudo apt-get install -y g++ make python3';
      expect(out.trim()).toBe(
        `@voxnas/kernels: native build skipped — compiler or build tool missing (${cxx}): \`${install}\`, then \`node ${join(dir, 'scripts', 'build-native.mjs')}\`; using JavaScript kernels`,
      );
      expect(existsSync(join(dir, 'build', 'Release', 'voxnas_kernels.node'))).toBe(false);
      const status = JSON.parse(readFileSync(join(dir, 'build', 'Release', 'native-build.json'), 'utf8'));
      expect(status).toMatchObject({ result: 'compiler-missing', missing: [cxx] });
    }));

  it('a compiler that fails: node-gyp runs, the log is kept, the cause is build-failed', () =>
    withTempDir(async (dir) => {
      stage(dir);
      // A compiler that answers --version (so the tool check passes) but fails every compile.
      const cxx = join(dir, 'broken-cxx');
      writeFileSync(cxx, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "broken-cxx: internal compiler error" >&2\nexit 1\n', { mode: 0o755 });
      const out = run(dir, [], { CXX: cxx, CC: cxx });
      expect(out).toMatch(/^@voxnas\/kernels: native build failed — .*; using JavaScript kernels \(log: /);
      expect(JSON.parse(readFileSync(join(dir, 'build', 'Release', 'native-build.json'), 'utf8')).result).toMatch(/build-failed|compiler-missing/);
      expect(readFileSync(join(dir, 'build', 'native-build.log'), 'utf8')).toMatch(/broken-cxx: internal compiler error/);
    }));

  it('--if-missing leaves an existing binary alone', () =>
    withTempDir(async (dir) => {
      stage(dir);
      mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
      writeFileSync(join(dir, 'build', 'Release', 'voxnas_kernels.node'), 'stand-in');
      expect(run(dir, ['--if-missing']).trim()).toBe('@voxnas/kernels: native addon already built');
      expect(readFileSync(join(dir, 'build', 'Release', 'voxnas_kernels.node'), 'utf8')).toBe('stand-in');
    }));

  it('VOXNAS_KERNELS_SKIP_BUILD skips the build', () =>
    withTempDir(async (dir) => {
      stage(dir);
      expect(run(dir, [], { VOXNAS_KERNELS_SKIP_BUILD: '1' }).trim()).toMatchInlineSnapshot(
        `"@voxnas/kernels: native build skipped (VOXNAS_KERNELS_SKIP_BUILD is set); using JavaScript kernels"`,
      );
    }));
});
