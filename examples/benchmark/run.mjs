#!/usr/bin/env node
// The paper's benchmark as a runnable script: search an architecture, retrain it, and compare it with
// a 3D U-Net of matched size and a random architecture from the same space — all through the
// `voxnas` CLI, so every stage is a resumable run directory. Re-running continues where it stopped.
//
// Usage: node examples/benchmark/run.mjs [config.yaml] [out-dir] [--fresh]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const fresh = process.argv.includes('--fresh');
const config = resolve(args[0] ?? join(here, 'demo.yaml'));
const out = resolve(args[1] ?? join(root, 'runs', 'demo'));
if (fresh) rmSync(out, { recursive: true, force: true });

const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const started = performance.now();

function voxnas(stage, argv) {
  const t0 = performance.now();
  console.error(`\n▶ ${stage}: voxnas ${argv.join(' ')}`);
  // The CLI from source: Node with tsx's loader and the source export condition (no build needed).
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@voxnas/source', bin, ...argv], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (r.status !== 0) {
    console.error(`✗ ${stage} failed (exit ${r.status}); re-run the same command to resume it`);
    process.exit(r.status ?? 1);
  }
  console.error(`✓ ${stage} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Runs a stage unless its product exists; resumes it when its run directory exists. */
function stage(name, dir, product, argv) {
  if (existsSync(join(dir, product))) {
    console.error(`✓ ${name}: done earlier (${join(dir, product)})`);
    return;
  }
  voxnas(name, existsSync(join(dir, 'config.json')) ? [argv[0], '--resume', dir] : [...argv, '--out', dir]);
}

console.error(`voxnas benchmark: config ${config}\n                  runs   ${out}`);
const search = join(out, 'search');
stage('search', search, 'genotype.json', ['search', '--config', config]);
const genotype = join(search, 'genotype.json');
const runs = {
  searched: join(out, 'searched'),
  'unet (matched)': join(out, 'unet'),
  random: join(out, 'random'),
};
stage('retrain searched', runs.searched, 'train.json', ['train', '--config', config, '--arch', genotype]);
stage('train 3D U-Net', runs['unet (matched)'], 'train.json', ['train', '--config', config, '--arch', 'unet', '--match', genotype]);
stage('train random', runs.random, 'train.json', ['train', '--config', config, '--arch', 'random']);

// The comparison table: Dice per class on the validation fold, mean Dice, parameters.
const results = Object.entries(runs).map(([name, dir]) => ({ name, ...JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8')) }));
const classes = Object.keys(results[0].dice);
const header = ['network', ...classes.map((c) => `Dice ${c}`), 'mean Dice', 'parameters'];
const rows = results.map((r) => [
  r.name,
  ...classes.map((c) => (Number.isFinite(r.dice[c]) ? r.dice[c].toFixed(3) : 'n/a')),
  r.meanDice.toFixed(3),
  String(r.params),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`\nvoxnas benchmark on ${JSON.parse(readFileSync(join(search, 'config.json'), 'utf8')).config.data.dataset} (validation fold, ${((performance.now() - started) / 60000).toFixed(1)} min)`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(`\nsearched genotype: ${genotype} (drawing: ${join(search, 'genotype.svg')})`);
