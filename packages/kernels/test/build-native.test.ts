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
  it('a broken toolchain: exit 0 and one line naming the fallback, with the log kept', () =>
    withTempDir(async (dir) => {
      stage(dir);
      const out = run(dir, [], { CXX: join(dir, 'no-such-compiler'), CC: join(dir, 'no-such-compiler') });
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).toMatch(/^@voxnas\/kernels: native build failed — .*; using JavaScript kernels \(log: /);
      expect(existsSync(join(dir, 'build', 'Release', 'voxnas_kernels.node'))).toBe(false);
      expect(readFileSync(join(dir, 'build', 'native-build.log'), 'utf8')).toMatch(/no-such-compiler/);
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
