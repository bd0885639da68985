#!/usr/bin/env node
// The paper's benchmark as a runnable script: search an architecture, retrain it, and compare it with
// a 3D U-Net of matched size and a random architecture from the same space — all through the
// `voxnas` CLI, so every stage is a resumable run directory. Re-running continues where it stopped.
//
// Usage: node examples/benchmark/run.mjs [config.yaml] [out-dir] [--fresh]
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dice, printTable, root, stage } from '../../scripts/example-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const fresh = process.argv.includes('--fresh');
const config = resolve(args[0] ?? join(here, 'demo.yaml'));
const out = resolve(args[1] ?? join(root, 'runs', 'demo'));
if (fresh) rmSync(out, { recursive: true, force: true });
const started = performance.now();

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
console.log(`\nvoxnas benchmark on ${JSON.parse(readFileSync(join(search, 'config.json'), 'utf8')).config.data.dataset} (validation fold, ${((performance.now() - started) / 60000).toFixed(1)} min)`);
printTable(
  ['network', ...classes.map((c) => `Dice ${c}`), 'mean Dice', 'parameters'],
  results.map((r) => [r.name, ...classes.map((c) => dice(r.dice[c])), r.meanDice.toFixed(3), String(r.params)]),
);
console.log(`\nsearched genotype: ${genotype} (drawing: ${join(search, 'genotype.svg')})`);
