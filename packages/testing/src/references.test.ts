import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { withTempDir } from './temp-dir.js';

const fixtures = fileURLToPath(new URL('../test/fixtures', import.meta.url));

// A child vitest runs test/fixtures/reference-skips.fixture.ts with a python3 that cannot see its
// site packages (`python3 -S`): numpy is really missing there, the way it is on a fresh machine.
it('a test whose Python reference module is missing is skipped with the apt line and recorded for the summary', () =>
  withTempDir(async (dir) => {
    const skips = join(dir, 'skips.tsv');
    const r = spawnSync(process.execPath, [join(fixtures, '..', '..', 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.config.ts'], {
      cwd: fixtures,
      encoding: 'utf8',
      env: { ...process.env, VOXNAS_PYTHON: join(fixtures, 'python-without-site.sh'), VOXNAS_REFERENCE_SKIPS: skips, VOXNAS_REQUIRE_REFERENCES: '' },
    });
    const report = JSON.parse(r.stdout) as { testResults: { assertionResults: { title: string; status: string }[] }[] };
    expect(report.testResults[0]!.assertionResults.map((a) => [a.title, a.status])).toEqual([
      ['needs numpy', 'skipped'],
      ['a script error is not a missing tool', 'passed'],
      ['with VOXNAS_REQUIRE_REFERENCES a missing tool fails instead', 'passed'],
    ]);
    expect(readFileSync(skips, 'utf8')).toBe('python3-numpy\tneeds numpy\n');
  }));
