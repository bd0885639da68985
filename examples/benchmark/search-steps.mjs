// The searched-minus-random gap against search length. Pairs the searched arm of each search-length
// study (search-steps-*.experiment.yaml, and efficacy.experiment.yaml's own 150-step search) with
// efficacy's random and U-Net arms on the same held-out cases, seeds and splits, and prints one
// markdown row per search length: mean Dice, the gaps with their paired Wilcoxon p over cases, the
// searched network's rank among the random genotypes, and how far α moved by the end of the searches
// (normalised entropy, 1 = uniform; mean top probability).
//
//   pnpm search-steps (runs the two studies, then this)
//   node --import tsx --conditions=@voxnas/source search-steps.mjs                     # after the three studies and their reports
//   node --import tsx --conditions=@voxnas/source search-steps.mjs --task phantom ../../runs/efficacy ../../runs/search-steps-50 …
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizedEntropy } from '@voxnas/core';
import { wilcoxonSignedRank } from '@voxnas/metrics';
import { byCase, mean, perCaseMeans } from './study-data.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { task: { type: 'string', default: 'phantom' } } });
const [baseline = '../../runs/efficacy', ...studies] = positionals;
if (studies.length === 0) studies.push('../../runs/search-steps-50', '../../runs/search-steps-300');

/** α at the end of every search of `task` in an experiment: mean normalised entropy and top probability over edges and searches. */
async function alphaAtEnd(expDir, task) {
  const entropies = [];
  const tops = [];
  const taskDir = join(expDir, 'jobs', task);
  for (const fold of (await readdir(taskDir)).filter((d) => d.startsWith('fold-'))) {
    const searchDir = join(taskDir, fold, 'search');
    for (const seed of await readdir(searchDir).catch(() => [])) {
      // only finished searches (a planned one may not have started)
      if (!existsSync(join(searchDir, seed, 'genotype.json'))) continue;
      const lines = (await readFile(join(searchDir, seed, 'log.jsonl'), 'utf8')).trim().split('\n');
      const last = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'arch').at(-1);
      for (const p of Object.values(last?.probabilities ?? {})) {
        entropies.push(normalizedEntropy(p));
        tops.push(Math.max(...p));
      }
    }
  }
  return entropies.length === 0 ? null : { entropy: mean(entropies), top: mean(tops) };
}
const base = await perCaseMeans(baseline, values.task);
const random = base.filter((r) => r.arm === 'random');
const unet = byCase(base.filter((r) => r.arm.startsWith('U-Net')));
const randomByCase = byCase(random);
const genotypeMeans = [...new Set(random.map((r) => r.genotype))].map((g) => mean(random.filter((r) => r.genotype === g).map((r) => r.dice)));
const cases = [...randomByCase.keys()].sort();

const fmt = (x) => (x >= 0 ? '+' : '') + x.toFixed(3);
console.log(`task ${values.task}: ${cases.length} held-out cases; random: ${genotypeMeans.length} genotypes, mean Dice ${mean(genotypeMeans).toFixed(3)} (median ${[...genotypeMeans].sort((a, b) => a - b)[genotypeMeans.length >> 1].toFixed(3)}); U-Net ${mean([...unet.values()]).toFixed(3)}\n`);
console.log('| search steps | searched mean Dice | − random, p | − U-Net, p | rank among random | α entropy at the end | α top probability |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const dir of [baseline, ...studies]) {
  const rows = (dir === baseline ? base : await perCaseMeans(dir, values.task)).filter((r) => r.arm === 'searched');
  const spec = JSON.parse(await readFile(join(dir, 'experiment.json'), 'utf8'));
  const steps = spec.spec.budget?.searchSteps ?? spec.spec.search?.config?.search?.steps ?? '?';
  const searched = byCase(rows);
  const missing = cases.filter((c) => !searched.has(c));
  if (missing.length > 0) throw new Error(`${dir}: no searched result for case(s) ${missing.join(', ')}`);
  const s = cases.map((c) => searched.get(c));
  const r = cases.map((c) => randomByCase.get(c));
  const u = cases.map((c) => unet.get(c));
  const score = mean(s);
  const rank = 1 + genotypeMeans.filter((g) => g > score).length;
  const alpha = await alphaAtEnd(dir, values.task);
  console.log(
    `| ${steps} | ${score.toFixed(3)} | ${fmt(score - mean(r))}, p ${wilcoxonSignedRank(s, r).pvalue.toPrecision(2)} | ${fmt(score - mean(u))}, p ${wilcoxonSignedRank(s, u).pvalue.toPrecision(2)} | ${rank} of ${genotypeMeans.length + 1} | ${alpha?.entropy.toFixed(3) ?? '—'} | ${alpha?.top.toFixed(3) ?? '—'} |`,
  );
}
