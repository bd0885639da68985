// The planted in-plane study over every fold and seed it ran: does the search pick the planted operator,
// and does the network it hands over beat the matched U-Net and random genotypes? Reads finished
// studies (in-plane.experiment.yaml holds out fold 0; in-plane-fold1 and in-plane-fold1-random fold 1;
// in-plane-derive and in-plane-random both folds, with a second derive rule; in-plane-shared both folds,
// with α shared per cell type) and prints
//
//  1. per search, the planted operator's α (mean over the normal cells' edges) and how many of the
//     derived genotype's non-zero normal-cell edges use it; then the exact one-sided binomial test of
//     those picks against the rate at which random genotypes use it (sampleRandomGenotype draws each
//     non-zero candidate with probability 1 / their number, so that rate is known exactly), and the
//     one-sided Wilcoxon test of α − chance over searches;
//     every searched arm with `derive` gets its own picks column and test;
//  2. every searched arm (`searched`, and arms named `searched …` with a derive rule) and the every-edge
//     planted-operator genotype (arm `all-<operator without dashes>`) against the U-Net, random
//     genotypes and each other, paired by held-out case (each case's Dice averaged over seeds, and over
//     genotypes for random), over every fold the studies ran and per fold;
//  3. each of those arms' rank among the random genotypes (each genotype's mean over the same cases).
//
//   node --import tsx --conditions=@voxnas/source in-plane.mjs                                   # the three studies' default directories
//   node --import tsx --conditions=@voxnas/source in-plane.mjs --operator p3d-3x3x1 ../../runs/in-plane ../../runs/in-plane-fold1
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { wilcoxonSignedRank } from '@voxnas/metrics';
import { DEFAULT_CANDIDATES } from '@voxnas/supernet';
import { byCase, mean, perCaseMeans } from './study-data.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    task: { type: 'string', default: 'in-plane' },
    operator: { type: 'string', default: 'conv-3x3x1' },
    cells: { type: 'string', default: 'encoder-normal,decoder-normal' },
  },
});
const dirs = positionals.length > 0 ? positionals : ['../../runs/in-plane', '../../runs/in-plane-fold1', '../../runs/in-plane-fold1-random'];
const cells = values.cells.split(',');
const op = values.operator;

const fmt = (x) => (x >= 0 ? '+' : '') + x.toFixed(3);
const inCells = (label) => cells.includes(label.split('.')[0]);

/** P(X ≥ k) for X ~ Binomial(n, p), summed exactly. */
function binomialUpper(k, n, p) {
  let logC = 0;
  let total = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) total += Math.exp(logC + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, total);
}

/** The normal cells' candidates of a run's config (`search.candidates`, or when empty the defaults, the same for every cell type). */
function candidatesOf(configured) {
  return configured.length > 0 ? configured : [...DEFAULT_CANDIDATES['encoder-normal']];
}

/** Every finished search of the task in an experiment: its fold, seed, candidates, final α and derived genotype. */
async function searches(expDir) {
  const out = [];
  const taskDir = join(expDir, 'jobs', values.task);
  for (const fold of (await readdir(taskDir)).filter((d) => d.startsWith('fold-')).sort()) {
    const searchDir = join(taskDir, fold, 'search');
    for (const seed of (await readdir(searchDir).catch(() => [])).sort()) {
      const dir = join(searchDir, seed);
      const genotype = await readFile(join(dir, 'genotype.json'), 'utf8').then(JSON.parse, () => null);
      if (!genotype) continue;
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      const lines = (await readFile(join(dir, 'log.jsonl'), 'utf8')).trim().split('\n');
      const arch = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'arch').at(-1);
      // searched arms with `derive`: the genotype each one's training job derived from this search; the
      // searched arm without one trained the search's genotype.json
      const derived = {};
      let own = 'searched';
      for (const arm of (await readdir(join(taskDir, fold))).filter((a) => a.startsWith('searched'))) {
        const file = join(taskDir, fold, arm, seed, 'train', 'derived-genotype.json');
        const g = await readFile(file, 'utf8').then(JSON.parse, () => null);
        if (g) derived[arm] = g.choices;
        else if (existsSync(join(taskDir, fold, arm, seed, 'train', 'train.json'))) own = arm; // a finished training
      }
      out.push({ where: `${fold}/${seed}`, candidates: candidatesOf(config.config.search.candidates), probabilities: arch.probabilities, choices: { [own]: genotype.choices, ...derived } });
    }
  }
  return out;
}

// 1. The planted operator in the searches.
const all = (await Promise.all(dirs.map(searches))).flat();
if (all.length === 0) throw new Error(`no finished search of task '${values.task}' in ${dirs.join(', ')}`);
console.log(`## '${op}' in the ${cells.join(' and ')} cells of ${all.length} searches\n`);
const rules = [...new Set(all.flatMap((s) => Object.keys(s.choices)))];
console.log(`| search | α on ${op} (chance) | ${rules.map((r) => `picks / non-zero edges (${r})`).join(' | ')} |`);
console.log(`| --- | ---: | ${rules.map(() => '---:').join(' | ')} |`);
const picks = Object.fromEntries(rules.map((r) => [r, { hits: 0, edges: 0 }]));
const alphaMinusChance = [];
let rate = null;
for (const s of all) {
  const index = s.candidates.indexOf(op);
  if (index < 0) throw new Error(`${s.where}: '${op}' is not among the candidates ${s.candidates.join(', ')}`);
  const real = s.candidates.filter((c) => c !== 'zero').length;
  if (rate !== null && rate !== 1 / real) throw new Error(`${s.where}: a different candidate count; the searches are not comparable`);
  rate = 1 / real;
  const alpha = mean(Object.entries(s.probabilities).filter(([label]) => inCells(label)).map(([, p]) => p[index]));
  const cellsOf = rules.map((r) => {
    if (!s.choices[r]) return '–';
    const used = Object.entries(s.choices[r]).filter(([label, c]) => inCells(label) && c !== 'zero');
    const hits = used.filter(([, c]) => c === op).length;
    picks[r].hits += hits;
    picks[r].edges += used.length;
    return `${hits} / ${used.length}`;
  });
  alphaMinusChance.push(alpha - 1 / s.candidates.length);
  console.log(`| ${s.where} | ${alpha.toFixed(3)} (${(1 / s.candidates.length).toFixed(3)}) | ${cellsOf.join(' | ')} |`);
}
const w = wilcoxonSignedRank(alphaMinusChance, undefined, { alternative: 'greater' });
console.log('');
for (const r of rules) {
  const { hits, edges } = picks[r];
  console.log(
    `picks (${r}): ${hits} of ${edges} (${(hits / edges).toFixed(3)}); random genotypes use it at ${rate.toFixed(3)} (expected ${(edges * rate).toFixed(1)}); one-sided exact binomial p ${binomialUpper(hits, edges, rate).toPrecision(2)}`,
  );
}
console.log(
  `α above chance in ${alphaMinusChance.filter((d) => d > 0).length} of ${all.length} searches (mean ${fmt(mean(alphaMinusChance))}); one-sided Wilcoxon p ${w.pvalue.toPrecision(2)}\n`,
);

// 2. Searched (and the every-edge planted-operator genotype) against the U-Net and random, paired by
// case, over every fold the studies ran and per fold.
const rows = (await Promise.all(dirs.map((d) => perCaseMeans(d, values.task)))).flat();
const planted = `all-${op.replaceAll('-', '')}`;
const searchedArms = [...new Set(rows.map((r) => r.arm).filter((a) => a.startsWith('searched')))].sort((a, b) => (a === 'searched' ? -1 : b === 'searched' ? 1 : a.localeCompare(b)));
// every U-Net arm on its own: each is matched to its own study's searched genotype
const unetArms = [...new Set(rows.map((r) => r.arm).filter((a) => a.startsWith('U-Net')))].sort();
const armRows = {
  ...Object.fromEntries([...searchedArms, ...unetArms].map((a) => [a, rows.filter((r) => r.arm === a)])),
  random: rows.filter((r) => r.arm === 'random'),
  [planted]: rows.filter((r) => r.arm === planted),
};
const pairs = [
  ...searchedArms.flatMap((a) => [...unetArms.map((u) => [a, u]), [a, 'random'], [a, planted]]),
  ...searchedArms.filter((a) => a !== 'searched').map((a) => [a, 'searched']),
  ...unetArms.map((u) => [planted, u]),
  [planted, 'random'],
];
const folds = [...new Set(rows.map((r) => r.fold))].sort();
console.log(`## paired by held-out case (each case's Dice averaged over its seeds, and genotypes for random)\n`);
console.log('| A | B | folds | cases | A | B | A − B | Wilcoxon p (two-sided) | cases A wins |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [a, b] of pairs) {
  for (const scope of [folds, ...(folds.length > 1 ? folds.map((f) => [f]) : [])]) {
    const inScope = (r) => scope.includes(r.fold);
    const A = byCase(armRows[a].filter(inScope));
    const B = byCase(armRows[b].filter(inScope));
    const cases = [...A.keys()].filter((c) => B.has(c)).sort();
    if (cases.length < 2) continue;
    const x = cases.map((c) => A.get(c));
    const y = cases.map((c) => B.get(c));
    const wins = cases.filter((_, i) => x[i] > y[i]).length;
    // two arms that trained the same genotypes give the same Dice on every case: nothing to test
    const p = x.every((v, i) => v === y[i]) ? 'identical' : wilcoxonSignedRank(x, y).pvalue.toPrecision(2);
    console.log(
      `| ${a} | ${b} | ${scope.join(', ')} | ${cases.length} | ${mean(x).toFixed(3)} | ${mean(y).toFixed(3)} | ${fmt(mean(x) - mean(y))} | ${p} | ${wins} of ${cases.length} |`,
    );
  }
}

// 3. Each searched arm's place among the random genotypes: every genotype's mean over the cases both
// have (each case averaged over seeds), over every fold the studies ran.
const randomIds = [...new Set(armRows.random.map((r) => r.genotype))].sort((a, b) => Number(a) - Number(b));
if (randomIds.length > 0) {
  console.log(`\n## among the ${randomIds.length} random genotypes (mean Dice over the cases both have, folds ${folds.join(', ')})\n`);
  console.log('| arm | mean | random genotypes (min … median … max) | rank |');
  console.log('| --- | ---: | --- | ---: |');
  for (const a of [...searchedArms, ...unetArms, planted]) {
    const A = byCase(armRows[a]);
    if (A.size === 0) continue;
    const means = randomIds.map((id) => {
      const G = byCase(armRows.random.filter((r) => r.genotype === id));
      return mean([...A.keys()].filter((c) => G.has(c)).map((c) => G.get(c)));
    });
    const own = mean([...A.values()]);
    const sorted = [...means].sort((u, v) => u - v);
    const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
    console.log(
      `| ${a} | ${own.toFixed(3)} | ${sorted[0].toFixed(3)} … ${median.toFixed(3)} … ${sorted.at(-1).toFixed(3)} | ${1 + means.filter((m) => m > own).length} of ${means.length + 1} |`,
    );
  }
}
