#!/usr/bin/env node
// Extend the search with your own operator: `custom.yaml` loads the plugin `conv-5x5x1.mjs` (which
// registers the operator) and lists it among the candidates; the search may then pick it like any
// built-in operator, and the searched network is retrained — all through the `voxnas` CLI, each
// stage a resumable run directory.
//
// Usage: node examples/custom-operator/run.mjs [out-dir] [--fresh]
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dice, printTable, root, stage } from '../../scripts/example-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const out = resolve(positional[0] ?? join(root, 'runs', 'custom-operator'));
if (process.argv.includes('--fresh')) rmSync(out, { recursive: true, force: true });
const config = join(here, 'custom.yaml');

const search = join(out, 'search');
stage('search with conv-5x5x1 among the candidates', search, 'genotype.json', ['search', '--config', config]);
const genotype = join(search, 'genotype.json');
const train = join(out, 'searched');
stage('retrain the searched network', train, 'train.json', ['train', '--config', config, '--arch', genotype]);

// Which operator every edge of the searched cells chose, and how the network scores.
const { choices } = JSON.parse(readFileSync(genotype, 'utf8'));
const cells = [...new Set(Object.keys(choices).map((k) => k.split('.')[0]))];
console.log('\nsearched cells (edge → operator; zero = no connection):');
printTable(['cell', 'edges'], cells.map((c) => [c, Object.entries(choices).filter(([k]) => k.startsWith(`${c}.`)).map(([k, v]) => `${k.slice(c.length + 1)}: ${v}`).join(', ')]), 2);
const picked = Object.values(choices).filter((v) => v === 'conv-5x5x1').length;
console.log(`\nconv-5x5x1 chosen on ${picked} of ${Object.keys(choices).length} edges`);
const t = JSON.parse(readFileSync(join(train, 'train.json'), 'utf8'));
printTable(['network', ...Object.keys(t.dice).map((c) => `Dice ${c}`), 'mean Dice', 'parameters'], [
  ['searched (with conv-5x5x1)', ...Object.values(t.dice).map(dice), t.meanDice.toFixed(3), String(t.params)],
]);
