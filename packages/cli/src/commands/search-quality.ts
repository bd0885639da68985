import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Rng } from '@voxnas/core';
import { atomicWrite, atomicWriteJson } from '@voxnas/core/node';
import { loadWeights } from '@voxnas/ops/node';
import { evaluateSearchQuality, type SearchQualityReport } from '@voxnas/search';
import { Supernet, parseGenotype, stringifyGenotype } from '@voxnas/supernet';
import { resolveCheckpoint, segmentationValidator } from '@voxnas/train/node';
import { initBackend } from '@voxnas/ops';
import { defineCommand } from '../command.js';
import { ConfigError, UsageError } from '../errors.js';
import { spaceFromConfig, supernetOptions } from '../pipeline/network.js';
import { prepareData } from '../pipeline/data.js';
import { foregroundLabels, resolveRunConfig, validationCases } from '../pipeline/run.js';
import { runTrain } from './train.js';

/** Flags of `voxnas search-quality`. */
export interface SearchQualityFlags {
  /** The search run to evaluate. */
  run?: string;
  /** Where the study goes (stand-alone train runs, genotypes, `search-quality.json`). */
  out?: string;
  /** Random architectures (default 8). */
  samples?: string;
  /** Training steps of each stand-alone run (default: the run's `train.steps`). */
  steps?: string;
  /** Threads of the native kernels (default: every core, or `OMP_NUM_THREADS`). */
  threads?: string;
}

/** What `voxnas search-quality` writes into `<out>/search-quality.json`. */
export interface SearchQualitySummary extends SearchQualityReport {
  readonly searchRun: string;
  readonly standaloneSteps: number;
  /** What the proxy and stand-alone scores are (the search run's `search.score` on the fold's validation cases). */
  readonly score: string;
}

function positiveInt(v: string | undefined, fallback: number, flag: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`voxnas search-quality: ${flag} is '${v}', expected a positive integer`);
  return n;
}

/**
 * `voxnas search-quality`: does the search's supernet rank architectures the way training them does? For a
 * finished search run, draws `--samples` random genotypes of its space plus the derived one, scores each
 * child with the supernet's final weights on the fold's validation cases, trains each alone (an ordinary,
 * resumable `voxnas train` run under `<out>/standalone/<id>`, `--steps` steps), and writes Kendall τ and
 * Spearman ρ between the two rankings (paired-bootstrap 95% intervals) and the derived architecture's rank to
 * `<out>/search-quality.json`. Re-running continues where it stopped (finished train runs are reused).
 */
export async function runSearchQuality(flags: SearchQualityFlags, log: (line: string) => void): Promise<SearchQualitySummary> {
  if (!flags.run) throw new UsageError('voxnas search-quality: --run <search-run> is required');
  if (!flags.out) throw new UsageError('voxnas search-quality: --out <dir> is required');
  const samples = positiveInt(flags.samples, 8, '--samples');
  const threads = flags.threads === undefined ? undefined : positiveInt(flags.threads, 1, '--threads');
  const searchDir = resolve(flags.run);
  if (!existsSync(join(searchDir, 'genotype.json'))) {
    throw new ConfigError(`voxnas search-quality --run ${flags.run}: no genotype.json there (not a finished search run)`);
  }
  const { cfg } = await resolveRunConfig({ resume: searchDir }, 'search-quality');
  const steps = positiveInt(flags.steps, cfg.train.steps, '--steps');
  const out = resolve(flags.out);
  await mkdir(join(out, 'genotypes'), { recursive: true });
  await initBackend({ logger: log, ...(threads === undefined ? {} : { threads }) });
  const data = await prepareData(cfg, searchDir);
  const space = spaceFromConfig(cfg, data.channels, data.classes);
  const supernet = new Supernet(space, { rng: new Rng(cfg.seed), ...supernetOptions(cfg) });
  const checkpoints = join(searchDir, 'checkpoints');
  await loadWeights(supernet, join(checkpoints, await resolveCheckpoint(checkpoints, 'latest'), 'model'));
  const validator = segmentationValidator({
    cases: await validationCases(data),
    windowSize: cfg.data.patchSize,
    overlap: cfg.inference.overlap,
    batchSize: cfg.inference.windowsPerBatch,
    labels: foregroundLabels(data),
    score: cfg.search.score,
  });
  // The stand-alone runs share one config file: the search run's resolved config.
  const configFile = join(out, 'config.json');
  await atomicWriteJson(configFile, cfg);
  try {
    const report = await evaluateSearchQuality({
      supernet,
      samples,
      rng: new Rng(cfg.seed).fork('search-quality'),
      derived: parseGenotype(await readFile(join(searchDir, 'genotype.json'), 'utf8'), { source: join(searchDir, 'genotype.json') }),
      inputShape: [cfg.data.patchSize[2], cfg.data.patchSize[1], cfg.data.patchSize[0]],
      proxyScore: (network) => validator({ network }),
      trainStandalone: async ({ id, genotype }) => {
        const genotypeFile = join(out, 'genotypes', `${id}.json`);
        await atomicWrite(genotypeFile, stringifyGenotype(genotype));
        const dir = join(out, 'standalone', id);
        const done = join(dir, 'train.json');
        if (existsSync(done)) return (JSON.parse(await readFile(done, 'utf8')) as { meanDice: number }).meanDice;
        const quiet = () => {};
        const r = existsSync(join(dir, 'config.json'))
          ? await runTrain({ resume: dir }, quiet)
          : await runTrain({ config: configFile, set: [`train.steps=${steps}`], arch: genotypeFile, out: dir }, quiet);
        return r.meanDice;
      },
      onArchitecture: (a, i, n) =>
        log(`voxnas search-quality: ${i + 1}/${n} ${a.id}: proxy ${a.proxy.toFixed(4)}, stand-alone ${a.standalone.toFixed(4)} (${a.params} parameters)`),
    });
    const summary: SearchQualitySummary = {
      ...report,
      searchRun: searchDir,
      standaloneSteps: steps,
      score: `mean foreground ${cfg.search.score} on the fold's validation cases (proxy); mean foreground Dice (stand-alone)`,
    };
    await atomicWriteJson(join(out, 'search-quality.json'), summary);
    return summary;
  } finally {
    supernet.dispose();
  }
}

/** The text table of a {@link SearchQualitySummary}. */
export function formatSearchQuality(s: SearchQualitySummary): string {
  const f = (c: { value: number; pvalue: number; lower: number; upper: number }) =>
    `${c.value.toFixed(3)} (95% CI ${c.lower.toFixed(3)} … ${c.upper.toFixed(3)}, p = ${c.pvalue.toPrecision(3)})`;
  return [
    `search quality of ${s.searchRun} (${s.count} architectures, stand-alone ${s.standaloneSteps} steps)`,
    ...s.architectures.map((a) => `  ${a.id.padEnd(10)} proxy ${a.proxy.toFixed(4)}  stand-alone ${a.standalone.toFixed(4)}  ${a.params} parameters`),
    `Kendall τ  ${f(s.kendall)}`,
    `Spearman ρ ${f(s.spearman)}`,
    `derived architecture: rank ${s.derivedStandaloneRank} of ${s.count} stand-alone, rank ${s.derivedProxyRank} by the supernet`,
  ].join('\n');
}

/** `voxnas search-quality`: see {@link runSearchQuality}. */
export const searchQualityCommand = defineCommand({
  name: 'search-quality',
  summary: "measure the search phase: does the supernet rank architectures like training them does? (Kendall τ, Spearman ρ)",
  usage: '--run <search-run> --out <dir> [--samples 8] [--steps n] [--threads n] [--json]',
  flags: {
    run: { type: 'string', value: '<search-run>', description: 'a finished voxnas search run directory' },
    out: { type: 'string', value: '<dir>', description: 'where the study goes: stand-alone train runs, genotypes, search-quality.json (re-run to continue)' },
    samples: { type: 'string', value: '<n>', description: 'random architectures drawn from the search space besides the derived one', default: '8' },
    steps: { type: 'string', value: '<n>', description: 'training steps of each stand-alone run', default: "the search run's train.steps" },
    threads: {
      type: 'string',
      value: '<n>',
      description: 'threads of the native kernels; give 1 when experiment jobs share the machine, or each side slows several-fold',
      default: 'every core, or OMP_NUM_THREADS',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ flags, io, log }) {
    const r = await runSearchQuality(flags, log);
    io.out(flags.json ? JSON.stringify(r, null, 2) : formatSearchQuality(r));
    return 0;
  },
});
