/**
 * Vitest global setup (Node): builds `artifacts/fixtures/` with `scripts/make-fixtures.ts` unless the
 * current version is already there. The script runs as its own Node process (tsx, voxnas sources)
 * because it needs Node-only packages (@voxnas/datasets) and Node's cpu backend for the references.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURE_VERSION } from './voxnas/fixture-spec.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the fixtures go (inside the artifacts directory the browser commands read from). */
export function fixturesDir(): string {
  return join(process.env.VOXNAS_ARTIFACTS ?? join(root, 'artifacts'), 'fixtures');
}

export default function setup(): void {
  const dir = fixturesDir();
  const versionFile = join(dir, 'VERSION');
  if (existsSync(versionFile) && readFileSync(versionFile, 'utf8') === FIXTURE_VERSION) return;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@voxnas/source', join(root, 'scripts', 'make-fixtures.ts'), dir], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`browser-testing global setup: scripts/make-fixtures.ts failed (exit ${r.status})`);
}
