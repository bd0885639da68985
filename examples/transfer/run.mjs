#!/usr/bin/env node
// Transfer (the paper's second experiment): an architecture searched on one task segments another.
// The genotype searched by the benchmark demo on the synthetic phantom (2 modalities, 3 structures)
// is trained on real anatomy — caudate, putamen, pallidum and thalamus on the Colin27 T1 with AAL
// labels (Debian's mricron-data), training on one hemisphere and validating on the other — next to a
// 3D U-Net of matched size and the "mirror the other hemisphere's labels" baseline. Every stage is a
// resumable run directory; re-running continues where it stopped.
//
// Usage: node examples/transfer/run.mjs [out-dir] [--genotype path/genotype.json] [--task human|macaque] [--fresh]
//   --genotype   default: runs/demo/search/genotype.json (pnpm demo); searched here with
//                examples/benchmark/demo.yaml when it does not exist
//   --task       human (default): Colin27 + AAL deep grey; macaque: inia19 + NeuroMaps basal ganglia
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { dice, printTable, root, runTs, stage } from '../../scripts/example-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const positional = argv.filter((a, i) => !a.startsWith('--') && !['--genotype', '--task'].includes(argv[i - 1] ?? ''));
const out = resolve(positional[0] ?? join(root, 'runs', 'transfer'));
const task = flag('--task') ?? 'human';
if (!['human', 'macaque'].includes(task)) {
  console.error(`--task is '${task}', expected human or macaque`);
  process.exit(2);
}
if (argv.includes('--fresh')) rmSync(out, { recursive: true, force: true });
const started = performance.now();

// 1. The searched genotype.
let genotype = resolve(flag('--genotype') ?? join(root, 'runs', 'demo', 'search', 'genotype.json'));
if (!existsSync(genotype)) {
  if (flag('--genotype')) {
    console.error(`--genotype ${genotype} does not exist`);
    process.exit(2);
  }
  const search = join(out, 'search');
  stage('search on the phantom', search, 'genotype.json', ['search', '--config', join(root, 'examples', 'benchmark', 'demo.yaml')]);
  genotype = join(search, 'genotype.json');
}
console.error(`voxnas transfer: genotype ${genotype}\n                 runs     ${out}`);

// 2. The atlas task (an MSD dataset) and its mirror baseline.
const dataDir = join(out, 'data');
const reportFile = join(dataDir, `${task}-report.json`);
if (!existsSync(reportFile)) {
  mkdirSync(dataDir, { recursive: true });
  const report = runTs(`build the ${task} atlas task`, join(here, 'build-task.ts'), [dataDir, task], 'pipe');
  writeFileSync(reportFile, report);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));

// 3. The config: transfer.yaml with the dataset written above.
const cfg = parse(readFileSync(join(here, 'transfer.yaml'), 'utf8'));
cfg.data.dataset = report.dir;
const config = join(out, `${task}.json`);
writeFileSync(config, `${JSON.stringify(cfg, null, 2)}\n`);

// 4. Train the transferred genotype and the matched U-Net on the same split.
const runs = { 'searched (transferred)': join(out, `${task}-searched`), 'unet (matched)': join(out, `${task}-unet`) };
stage('train the searched genotype', runs['searched (transferred)'], 'train.json', ['train', '--config', config, '--arch', genotype]);
stage('train 3D U-Net', runs['unet (matched)'], 'train.json', ['train', '--config', config, '--arch', 'unet', '--match', genotype]);

// 5. Dice per structure on the held-out hemisphere.
const results = Object.entries(runs).map(([name, dir]) => ({ name, ...JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8')) }));
const classes = Object.keys(results[0].dice);
console.log(`\nvoxnas transfer to ${report.task} (train: one hemisphere, validation: the other; ${((performance.now() - started) / 60000).toFixed(1)} min)`);
printTable(['network', ...classes.map((c) => `Dice ${c}`), 'mean Dice', 'parameters'], [
  ...results.map((r) => [r.name, ...classes.map((c) => dice(r.dice[c])), r.meanDice.toFixed(3), String(r.params)]),
  ['mirror baseline', ...classes.map((c) => dice(report.mirrorDice[c])), report.meanMirrorDice.toFixed(3), '—'],
]);
console.log(`\ngenotype: ${genotype}; runs: ${Object.values(runs).join(', ')}`);
