import { currentBackend, formatBytes, parseByteSize } from '@voxnas/ops';
import { estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from '@voxnas/supernet';
import { estimateUNetStepMemory } from '@voxnas/unet';
import type { VoxnasConfig } from '../config.js';
import { searchSampler, spaceFromConfig } from '../pipeline/network.js';
import type { JobFitCheck } from './executor.js';
import type { PlannedJob } from './graph.js';
import type { ExperimentPlan } from './plan.js';

/**
 * Estimated peak tensor bytes of one step of a search or training job (null for other jobs), from the
 * memory estimators (nothing allocated): a search step of the configured sampler at its worst draw; a
 * U-Net arm's training step (the config's levels and width; a matched U-Net is estimated as that
 * one); any other training as the heaviest child the space can derive (its genotype is not known
 * before the search). For the active backend's kernels (`js` when none is selected: the larger), with the
 * activation recomputation the job's config turns on (`search.recompute`, `train.recompute`).
 *
 * @example
 * const bytes = jobStepBytes(job, { channels: 1, classes: 2 });
 */
export function jobStepBytes(job: PlannedJob, task: { readonly channels: number; readonly classes: number }): number | null {
  const cfg: VoxnasConfig | null = job.resolvedConfig;
  if (cfg === null || (job.kind !== 'search' && job.kind !== 'train')) return null;
  const [px, py, pz] = cfg.data.patchSize;
  const shape = [cfg.data.batchSize, pz, py, px, task.channels] as const;
  const kernels = currentBackend()?.native ? 'native' : 'js';
  const classes = Math.max(2, task.classes);
  if (job.kind === 'train' && job.meta.armKind === 'unet') {
    const options = { levels: cfg.search.levels, baseChannels: cfg.search.baseChannels, inputChannels: task.channels, classes };
    return estimateUNetStepMemory(options, { inputShape: shape, kernels, recompute: cfg.train.recompute === 'none' ? 'none' : 'level' }).totalBytes;
  }
  const space = spaceFromConfig(cfg, task.channels, classes);
  if (job.kind === 'search') {
    return estimateSearchStepMemory(space, { inputShape: shape, sampler: searchSampler(cfg), kernels, recompute: cfg.search.recompute }).totalBytes;
  }
  return estimateChildStepMemory(heaviestChild(space, shape), { inputShape: shape, kernels, recompute: cfg.train.recompute }).totalBytes;
}

/**
 * The executors' {@link JobFitCheck} from the memory estimate: refuses a search or training job whose
 * estimated step (see {@link jobStepBytes}) exceeds its stage's `mem` (a Slurm size; a bare number is
 * MiB, as in Slurm), with the estimate in the reason.
 *
 * @example
 * await runLocal({ plan, log, fits: memoryFitCheck(plan) });
 */
export function memoryFitCheck(plan: ExperimentPlan): JobFitCheck {
  return (job, resources) => {
    const task = plan.tasks.find((t) => t.name === job.meta.task);
    if (task === undefined) return null;
    const bytes = jobStepBytes(job, task);
    if (bytes === null) return null;
    const mem = parseByteSize(/^\d+$/.test(resources.mem) ? `${resources.mem}M` : resources.mem, 'resources.mem');
    return bytes > mem ? `one ${job.kind} step needs about ${formatBytes(bytes)} (memory estimate, docs/memory.md), the stage has mem ${resources.mem}` : null;
  };
}
