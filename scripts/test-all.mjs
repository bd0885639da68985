#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one closing line summed over all packages:
// `N passed, N failed[, N skipped]`. Exits non-zero when any test or any package run failed.
// Extra arguments are passed to turbo (e.g. `--filter @voxnas/volume`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'examples']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)))
  .filter((p) => {
    const f = join(p, 'package.json');
    return existsSync(f) && JSON.parse(readFileSync(f, 'utf8')).scripts?.test;
  });
for (const d of dirs) rmSync(join(d, '.vitest-report.json'), { force: true });
// Tests skipped for a missing reference tool (numpy, scipy, nibabel, PyTorch, plastimatch, the
// MRIcron templates) append `apt-package<TAB>test` lines here (@voxnas/testing's references.ts).
const referenceSkips = join(root, '.tmp', 'reference-skips.tsv');
rmSync(referenceSkips, { force: true });
mkdirSync(join(root, '.tmp'), { recursive: true });
const env = { ...process.env, VOXNAS_REFERENCE_SKIPS: referenceSkips };

// Builds first (cached): the CJS/ESM consumer tests import dist/, and @voxnas/kernels builds its addon.
const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
const args = ['turbo', 'run', 'test', '--continue', '--concurrency=1', ...process.argv.slice(2)];
const run = spawnSync('pnpm', ['exec', ...args], { cwd: root, stdio: 'inherit', env });

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const d of dirs) {
  const f = join(d, '.vitest-report.json');
  if (!existsSync(f)) {
    missing.push(d.slice(root.length));
    continue;
  }
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A suite that failed to load (syntax error, missing module) has no tests but counts as a failure.
  failed += (r.testResults ?? []).filter((s) => s.status === 'failed' && s.assertionResults?.length === 0).length;
}
const filtered = process.argv.length > 2;
if (missing.length && !filtered) {
  console.error(`no test report from: ${missing.join(', ')}`);
  failed += missing.length;
}
if (build.status !== 0) {
  console.error('build failed');
  failed += 1;
}
// Failures of earlier CI steps (lint, typecheck) passed in by .ci/run.
failed += Number(process.env.VOXNAS_EXTRA_FAILED ?? 0);
if (run.status !== 0 && failed === 0) failed = 1;
// One line naming what to install when reference tests were skipped (CI sets
// VOXNAS_REQUIRE_REFERENCES=1, under which they fail instead of skipping).
if (existsSync(referenceSkips)) {
  const lines = readFileSync(referenceSkips, 'utf8').trim().split('\n').filter(Boolean);
  const pkgs = [...new Set(lines.map((l) => l.split('\t')[0]))].sort();
  rmSync(referenceSkips, { force: true });
  if (pkgs.length) {
    console.log(
      `reference tools missing, ${lines.length} reference check(s) skipped — install them and re-run: ` +
        `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y ${pkgs.join(' ')}`,
    );
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
