import { freemem } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SearchTrainer, type ArchSnapshot, type SearchResult } from '@voxnas/search';
import {
  Supernet,
  estimateChildStepMemory,
  estimateSearchStepMemory,
  genotypeCost,
  heaviestChild,
  renderGenotypeSvg,
  stringifyGenotype,
  type CellRecompute,
  type SamplerConfig,
} from '@voxnas/supernet';
import { Rng } from '@voxnas/core';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { segmentationValidator } from '@voxnas/train/node';
import { initBackend, parseByteSize, variableGrads } from '@voxnas/ops';
import { createLosses } from '@voxnas/metrics';
import type { VoxnasConfig } from '../config.js';
import { atomicWrite } from '@voxnas/core/node';
import { createProgress } from '../progress.js';
import { searchSampler, spaceFromConfig, supernetOptions } from '../pipeline/network.js';
import {
  batchSource,
  foregroundLabels,
  lossFromConfig,
  resolveRunConfig,
  resumeFromCheckpoint,
  RUN_FLAGS,
  startRun,
  validationCases,
  type RunFlags,
} from '../pipeline/run.js';

/** What `voxnas search` produced (also `search.json`). */
export type SearchSummary = {
  readonly runDir: string;
  readonly steps: number;
  readonly bestStep: number;
  readonly bestScore: number | null;
  readonly genotypePath: string;
  readonly params: number;
  readonly flops: number;
  readonly warnings: string[];
  readonly resumedFrom: number | null;
};

/** Splits the fold's training cases for the two optimisers (see `SearchMode`). */
export function searchSplit(cfg: VoxnasConfig, train: readonly string[]): { weights: string[]; arch: string[] } {
  if (cfg.search.mode === 'joint') return { weights: [...train], arch: [...train] };
  const weights = train.filter((_, i) => i % 2 === 0);
  const arch = train.filter((_, i) => i % 2 === 1);
  return { weights, arch: arch.length > 0 ? arch : weights };
}

/**
 * `voxnas search`: runs (or resumes) the architecture search of a config and writes `genotype.json`
 * (the best derived genotype), `genotype-final.json`, `genotype.svg` and `search.json` into the run
 * directory, next to `config.json`, `log.jsonl` and `checkpoints/`.
 */
export async function runSearch(flags: RunFlags, log: (line: string) => void): Promise<SearchSummary> {
  const resolved = await resolveRunConfig(flags, 'search');
  const dir = resolved.dir;
  // the effective config: patch and batch size from the data plan unless the config set them
  const { cfg, run, data } = await startRun(resolved.cfg, dir, log, { verbose: flags.verbose ?? false });
  const rng = new Rng(cfg.seed);
  const space = spaceFromConfig(cfg, data.channels, data.classes);
  const supernet = new Supernet(space, {
    rng: rng.fork('supernet'),
    ...supernetOptions(cfg),
    tau: cfg.search.tauStart,
    recompute: cfg.search.recompute,
  });
  const split = searchSplit(cfg, data.train);
  const dataRng = rng.fork('data');
  const weightData = batchSource(cfg, data, split.weights, dataRng.fork('weights').seed32());
  const archData = batchSource(cfg, data, split.arch, dataRng.fork('arch').seed32());
  const search = new SearchTrainer({
    supernet,
    weightData,
    archData,
    loss: lossFromConfig(cfg),
    mode: cfg.search.mode,
    weightOptimizer: { kind: 'adamw', weightDecay: cfg.train.weightDecay },
    weightSchedule: { kind: 'cosine', lr: cfg.search.weightLr, totalSteps: cfg.search.steps },
    archLr: cfg.search.archLr,
    temperature:
      cfg.search.tauSchedule === 'constant'
        ? { kind: 'constant', tau: cfg.search.tauStart }
        : { kind: cfg.search.tauSchedule, from: cfg.search.tauStart, to: cfg.search.tauEnd, steps: cfg.search.steps },
    warmupSteps: cfg.search.warmupSteps,
    clipGradNorm: 12,
  });
  try {
    const resumedFrom = await resumeFromCheckpoint(run, search, log, 'search', cfg.search.steps);
    const valCases = await validationCases(data);
    const validator = segmentationValidator({
      cases: valCases,
      windowSize: cfg.data.patchSize,
      overlap: cfg.inference.overlap,
      batchSize: cfg.inference.windowsPerBatch,
      labels: foregroundLabels(data),
      score: cfg.search.score,
    });
    const progress = createProgress({ label: 'search', total: cfg.search.steps, from: resumedFrom ?? 0, ...flags.progress });
    const warnings: string[] = [];
    const result: SearchResult = await search.fit({
      steps: cfg.search.steps,
      deriveEvery: cfg.search.deriveEvery,
      checkpointEvery: cfg.search.checkpointEvery,
      checkpointDir: run.checkpointDir,
      log: run.log,
      validate: (net) => validator({ network: net }),
      onStep: (r) => progress.tick(r.step + 1, `τ ${r.tau.toFixed(2)} loss ${r.weightLoss.toFixed(3)}`),
      onSnapshot: (s: ArchSnapshot) => {
        for (const w of s.warnings) {
          warnings.push(w.message);
          log(`voxnas search: warning [${w.code}] at step ${w.step}: ${w.message}`);
        }
      },
    });
    progress.end();
    const [px, py, pz] = cfg.data.patchSize;
    const cost = genotypeCost(result.bestGenotype, { inputShape: [1, pz, py, px, data.channels] });
    await atomicWrite(join(dir, 'genotype.json'), stringifyGenotype(result.bestGenotype));
    await atomicWrite(join(dir, 'genotype-final.json'), stringifyGenotype(result.finalGenotype));
    await atomicWrite(join(dir, 'genotype.svg'), renderGenotypeSvg(result.bestGenotype));
    const summary: SearchSummary = {
      runDir: dir,
      steps: cfg.search.steps,
      bestStep: result.bestStep,
      bestScore: result.bestScore,
      genotypePath: join(dir, 'genotype.json'),
      params: cost.params,
      flops: cost.flops,
      warnings: [...new Set(warnings)],
      resumedFrom,
    };
    await atomicWrite(join(dir, 'search.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await run.log.append({ type: 'search-done', ...summary });
    return summary;
  } finally {
    await weightData.close();
    await archData.close();
    search.dispose();
    supernet.dispose();
  }
}

/** One row of the dry-run table: a sampler's estimated and (when it fits) measured peak. */
export interface DryRunRow {
  readonly sampler: string;
  /** Estimated peak tensor memory of one search step (`estimateSearchStepMemory`), MiB. */
  readonly estimateMiB: number;
  /** Whether the estimate fits the limit (free memory, and the budget when given). */
  readonly fits: boolean;
  /** Measured `tf.profile` peak of one step, MiB; null when not measured (does not fit, or `--estimate-only`). */
  readonly peakMiB: number | null;
}

/** What `voxnas search --dry-run` reports. */
export interface DryRunReport {
  readonly patchSize: readonly number[];
  readonly batchSize: number;
  /** The kernels the estimates are calibrated for: `native` with @voxnas/kernels, else `js`. */
  readonly kernels: 'js' | 'native';
  readonly rows: readonly DryRunRow[];
  /**
   * The retraining step of the heaviest child the search can derive (`heaviestChild`): its estimated
   * peak, MiB, and whether it fits.
   */
  readonly child: { readonly estimateMiB: number; readonly fits: boolean };
  readonly freeMiB: number;
  /** `--memory-budget` in MiB, or null. */
  readonly budgetMiB: number | null;
  /** The limit the estimates are compared with: min(0.8 × free memory, budget), MiB. */
  readonly limitMiB: number;
  /** Whether the configured sampler's search step and the child's training step fit the limit. */
  readonly fits: boolean;
  /** The activation recomputation the estimates assume (`search.recompute`, `train.recompute`). */
  readonly recompute: { readonly search: CellRecompute; readonly train: CellRecompute };
  /**
   * With the finest activation recomputation for both the search and the training (`search.recompute`
   * and `train.recompute` `edge`): the configured sampler's search step and the child's training step,
   * MiB, and whether both fit the limit; null when the config already sets both to `edge`.
   */
  readonly withRecompute: { readonly searchMiB: number; readonly childMiB: number; readonly fits: boolean } | null;
}

/** Flags of {@link dryRunSearch} besides the run flags. */
export interface DryRunFlags {
  /** `--memory-budget`: a size such as `8G` or `512M`. */
  readonly 'memory-budget'?: string;
  /** `--estimate-only`: never run a step, even when it fits. */
  readonly 'estimate-only'?: boolean;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * The search pre-flight: estimates, without allocating anything, the peak tensor memory of one search
 * step at the configured patch and batch size for the configured sampler and the full mixture (every
 * candidate, DARTS), and of one training step of the heaviest child the search can derive, with the
 * activation recomputation the config turns on (`search.recompute`, `train.recompute`); compares them
 * with 0.8 × the free memory and the `--memory-budget`, and says whether turning recomputation on
 * would make them fit. Then, only when the configured sampler's
 * step and the child's step fit (and not with `--estimate-only`), confirms each sampler whose estimate
 * fits with one measured step (α and weight gradients,
 * `tf.profile`) on random data. Nothing is read or written; a configuration that does not fit never
 * runs a step (the backend is selected first — no tensor — so the estimate uses its kernels' calibration).
 *
 * @throws InvalidArgumentError naming `--memory-budget` for a malformed size.
 */
export async function dryRunSearch(flags: RunFlags & DryRunFlags, log: (line: string) => void): Promise<DryRunReport> {
  const budgetBytes = flags['memory-budget'] !== undefined ? parseByteSize(flags['memory-budget'], '--memory-budget') : null;
  const { cfg } = await resolveRunConfig({ ...flags, out: flags.out ?? '.voxnas-dry-run' }, 'search');
  const channels = 1;
  const classes = 2;
  const [px, py, pz] = cfg.data.patchSize;
  const n = cfg.data.batchSize;
  const shape = [n, pz, py, px, channels] as const;
  const space = spaceFromConfig(cfg, channels, classes);
  const configured = searchSampler(cfg);
  const samplers: Array<[string, SamplerConfig]> = [[configured.kind === 'gumbel' ? `gumbel k=${configured.k ?? 1}` : configured.kind, configured]];
  if (configured.kind !== 'full') samplers.push(['full (DARTS)', { kind: 'full' }]);
  // selecting the backend allocates no tensor; it tells which kernels the estimate is calibrated for
  const backend = await initBackend({ logger: log });
  const kernels = backend.native ? 'native' : 'js';
  const freeBytes = freemem();
  const limitBytes = Math.min(0.8 * freeBytes, budgetBytes ?? Infinity);
  const recompute = { search: cfg.search.recompute, train: cfg.train.recompute };
  const searchBytes = (sampler: SamplerConfig, mode: CellRecompute) => estimateSearchStepMemory(space, { inputShape: shape, sampler, kernels, recompute: mode }).totalBytes;
  const heaviest = heaviestChild(space, shape);
  const trainBytes = (mode: CellRecompute) => estimateChildStepMemory(heaviest, { inputShape: shape, kernels, recompute: mode }).totalBytes;
  const estimates = samplers.map(([, sampler]) => searchBytes(sampler, recompute.search));
  const childBytes = trainBytes(recompute.train);
  const recomputed = recompute.search === 'edge' && recompute.train === 'edge' ? null : { search: searchBytes(configured, 'edge'), child: trainBytes('edge') };
  const withRecompute =
    recomputed === null
      ? null
      : { searchMiB: mib(recomputed.search), childMiB: mib(recomputed.child), fits: recomputed.search <= limitBytes && recomputed.child <= limitBytes };
  const fitting = estimates.map((b) => b <= limitBytes);
  const childFits = childBytes <= limitBytes;
  const peaks: Array<number | null> = estimates.map(() => null);
  // nothing runs unless the configured sampler's step and the child's step both fit
  if (fitting[0] && childFits && !flags['estimate-only']) {
    const losses = createLosses(tf);
    for (const [i, [, sampler]] of samplers.entries()) {
      if (!fitting[i]) continue;
      const supernet = new Supernet(space, { rng: new Rng(cfg.seed), sampler, tau: cfg.search.tauStart, recompute: recompute.search });
      const x = tf.randomNormal([n, pz, py, px, channels], 0, 1, 'float32', 1) as tf.Tensor5D;
      const y = tf.randomUniform([n, pz, py, px], 0, classes, 'int32', 2);
      const all = [...supernet.weightVariables(), ...supernet.archVariables()];
      const info = await tf.profile(() => {
        const { value, grads } = variableGrads(() => losses.diceCe(supernet.apply(x), y), all);
        value.dispose();
        tf.dispose(grads);
      });
      peaks[i] = mib(info.peakBytes);
      x.dispose();
      y.dispose();
      supernet.dispose();
    }
  }
  const rows = samplers.map(([name], i) => ({ sampler: name, estimateMiB: mib(estimates[i]!), fits: fitting[i]!, peakMiB: peaks[i]! }));
  const child = { estimateMiB: mib(childBytes), fits: childFits };
  return {
    patchSize: cfg.data.patchSize,
    batchSize: n,
    kernels,
    rows,
    child,
    freeMiB: Math.round(freeBytes / 2 ** 20),
    budgetMiB: budgetBytes === null ? null : mib(budgetBytes),
    limitMiB: mib(limitBytes),
    fits: rows[0]!.fits && child.fits,
    recompute,
    withRecompute,
  };
}

/** Text table of a {@link DryRunReport}. */
export function formatDryRun(r: DryRunReport): string {
  const cell = (v: number | null) => (v === null ? '—' : v.toFixed(1)).padStart(12);
  const limit = `min(0.8 × free ${r.freeMiB} MiB${r.budgetMiB !== null ? `, budget ${r.budgetMiB.toFixed(1)} MiB` : ''}) = ${r.limitMiB.toFixed(1)} MiB`;
  const on = [r.recompute.search !== 'none' ? `search per ${r.recompute.search}` : '', r.recompute.train !== 'none' ? `training per ${r.recompute.train}` : ''].filter(Boolean).join(', ');
  const alternative =
    r.withRecompute === null
      ? []
      : [
          `with activation recomputation per edge (search.recompute and train.recompute: edge): search step about ${r.withRecompute.searchMiB.toFixed(1)} MiB, child's training step about ${r.withRecompute.childMiB.toFixed(1)} MiB — ${r.withRecompute.fits ? 'fits' : 'does not fit either'}`,
        ];
  const lines = [
    `patch ${r.patchSize.join('×')} × batch ${r.batchSize}: peak tensor memory of one step (estimated for the ${r.kernels} kernels${on ? `, activation recomputation: ${on}` : ''}; measured only when it fits)`,
    `  ${'step'.padEnd(22)} ${'estimate MiB'.padStart(12)} ${'measured MiB'.padStart(12)}  fits`,
    ...r.rows.map((row) => `  ${`search, ${row.sampler}`.padEnd(22)} ${cell(row.estimateMiB)} ${cell(row.peakMiB)}  ${row.fits ? 'yes' : 'no'}`),
    `  ${'child training'.padEnd(22)} ${cell(r.child.estimateMiB)} ${cell(null)}  ${r.child.fits ? 'yes' : 'no'}`,
    `limit ${limit}`,
    r.fits
      ? `the configured sampler's search step (${r.rows[0]!.estimateMiB.toFixed(1)} MiB) and the child's training step (${r.child.estimateMiB.toFixed(1)} MiB) fit`
      : `does not fit: ${!r.rows[0]!.fits ? `the search step with ${r.rows[0]!.sampler} needs about ${r.rows[0]!.estimateMiB.toFixed(1)} MiB` : `the child's training step needs about ${r.child.estimateMiB.toFixed(1)} MiB`}, the limit is ${r.limitMiB.toFixed(1)} MiB (${r.withRecompute?.fits === true ? 'set search.recompute and train.recompute to edge, or ' : ''}lower the patch or batch size; nothing was run)`,
    ...alternative,
  ];
  return lines.join('\n');
}

/** `voxnas search`. */
export const searchCommand = defineCommand({
  name: 'search',
  summary: 'search an architecture on a dataset (resumable); writes genotype.json',
  usage: '(--out <run-dir> [--config <file>] [--set key.path=value]… [--seed n] | --resume <run-dir>) [--dry-run [--memory-budget <size>] [--estimate-only]] [--json]',
  flags: {
    ...RUN_FLAGS,
    'dry-run': {
      type: 'boolean',
      description:
        'estimate the peak memory of one search step (configured sampler vs. the full mixture) and of the child\'s training step against the free memory, then measure one step of each that fits; exit 1 without running anything when it does not fit; nothing is written',
    },
    'memory-budget': {
      type: 'string',
      value: '<size>',
      description: 'with --dry-run: the memory the step must fit in, e.g. 8G or 512M (also capped at 0.8 × the free memory)',
      default: '0.8 × the free memory',
    },
    'estimate-only': { type: 'boolean', description: 'with --dry-run: print the estimates only, never run a step' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ flags, io, log, progress, verbose }) {
    if (!flags['dry-run'] && (flags['memory-budget'] !== undefined || flags['estimate-only'])) {
      throw new UsageError(`voxnas search: --memory-budget and --estimate-only go with --dry-run`);
    }
    if (flags['dry-run']) {
      const r = await dryRunSearch(flags, log);
      io.out(flags.json ? JSON.stringify(r, null, 2) : formatDryRun(r));
      return r.fits ? 0 : 1;
    }
    const r = await runSearch({ ...flags, progress, verbose }, log);
    io.out(
      flags.json
        ? JSON.stringify(r, null, 2)
        : `search done: ${r.genotypePath} (best at step ${r.bestStep}, validation Dice ${r.bestScore?.toFixed(4) ?? 'n/a'}, ${r.params} parameters)`,
    );
    return 0;
  },
});
