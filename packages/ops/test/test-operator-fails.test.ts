// testOperator must be able to fail: run the bad operators of test/fixtures in a child vitest and check
// which of their contract tests failed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '@voxnas/testing';
import { expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));

it('fails an unregistered operator and one whose weights ignore the seed', async () => {
  await withTempDir(async (dir) => {
    const report = join(dir, 'report.json');
    spawnSync(
      process.execPath,
      [join(pkg, '../../node_modules/vitest/vitest.mjs'), 'run', 'test/fixtures/bad-operators.fixture.ts', '--config', 'test/fixtures/vitest.fixture.config.ts', '--reporter=json', `--outputFile=${report}`],
      { cwd: pkg, encoding: 'utf8', env: { ...process.env, CI: '1' } },
    );
    const r = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ assertionResults: Array<{ fullName: string; status: string }> }> };
    const results = r.testResults.flatMap((f) => f.assertionResults);
    const failed = results.filter((t) => t.status === 'failed').map((t) => t.fullName);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toBe('operator fixture-unregistered is registered under its name');
    expect(failed[1]).toMatch(/^operator fixture-seedless same seed gives the same weights, serialisation round trip is exact: /);
    // Everything else of the contract passes for both.
    expect(results.filter((t) => t.status === 'passed').length).toBeGreaterThan(8);
  });
});
