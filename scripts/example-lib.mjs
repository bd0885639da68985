// Shared by the example scripts (examples/*/run.mjs): run the voxnas CLI from source as resumable
// stages, and print result tables.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');

/** Runs a TypeScript file of the repository from source (tsx loader, the source export condition). */
export function runTs(label, file, argv, stdout = 'inherit') {
  const t0 = performance.now();
  console.error(`\n▶ ${label}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@voxnas/source', file, ...argv], {
    cwd: root,
    stdio: ['ignore', stdout, 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (r.status !== 0) {
    console.error(`✗ ${label} failed (exit ${r.status}); re-run the same command to resume it`);
    process.exit(r.status ?? 1);
  }
  console.error(`✓ ${label} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return r.stdout;
}

/** Runs a stage of the voxnas CLI unless its product exists; resumes it when its run directory exists. */
export function stage(name, dir, product, argv) {
  if (existsSync(join(dir, product))) {
    console.error(`✓ ${name}: done earlier (${join(dir, product)})`);
    return;
  }
  const args = existsSync(join(dir, 'config.json')) ? [argv[0], '--resume', dir] : [...argv, '--out', dir];
  runTs(`${name}: voxnas ${args.join(' ')}`, bin, args);
}

/** Prints a table: the first `left` columns (default 1) left-aligned, the others right-aligned. */
export function printTable(header, rows, left = 1) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** A Dice value for a table cell. */
export const dice = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
