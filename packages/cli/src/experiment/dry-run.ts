import { currentBackend } from '@voxnas/ops';
import type { VoxnasConfig } from '../config.js';
import type { PlannedJob } from './graph.js';
import type { ExperimentPlan } from './plan.js';
import { STAGES, type Stage } from './spec-schema.js';
import { measureStepTime, type StepKind, type StepTime } from './step-time.js';

/** What `voxnas experiment run --dry-run` reports. */
export interface DryRunSummary {
  readonly name: string;
  readonly expDir: string;
  readonly jobs: number;
  readonly byStage: Readonly<Record<Stage, number>>;
  readonly byTask: ReadonlyArray<{ readonly task: string; readonly channels: number; readonly classes: number; readonly described: string } & Readonly<Record<Stage, number>>>;
  /** One entry per measured configuration and network kind. */
  readonly stepTimes: ReadonlyArray<StepTime & { readonly config: string }>;
  readonly backend: string;
  /** Device-hours of the searches, search-quality studies and trainings (evaluations and data preparation not included). */
  readonly deviceHours: { readonly total: number; readonly search: number; readonly searchQuality: number; readonly train: number };
  readonly notes: readonly string[];
}

function kindOf(job: PlannedJob): StepKind | null {
  if (job.kind === 'search') return 'search';
  // a search-quality job trains child networks of its search's space, one after another
  if (job.kind === 'search-quality') return 'child';
  if (job.kind !== 'train') return null;
  return job.meta.armKind === 'unet' ? 'unet' : 'child';
}

/** The run config a job's steps run with (a search-quality job's: its search's). */
function configOf(job: PlannedJob, graph: ExperimentPlan['graph']): VoxnasConfig {
  return job.resolvedConfig ?? graph.byId.get(job.deps[0]!)!.resolvedConfig!;
}

/** The network a step time is measured for (the space); patch and batch are scaled, channels and classes ignored. */
function signature(cfg: VoxnasConfig): string {
  const { levels, baseChannels, nodes, candidates, sampler, k, weightSampler } = cfg.search;
  return JSON.stringify({ levels, baseChannels, nodes, candidates, sampler, k, weightSampler });
}

const voxelsOf = (cfg: VoxnasConfig) => cfg.data.patchSize.reduce((a, b) => a * b, 1) * cfg.data.batchSize;

/**
 * The dry run of an experiment: the job graph's size per stage and task, and an estimate of the
 * device-hours from step times measured here with random tensors of each job's patch and batch shape
 * ({@link measureStepTime}; one measurement per network kind and search space, at its jobs' largest
 * patch × batch, other patch sizes scaled by voxels) or given with `stepTimes` (seconds per step of
 * that largest patch, by kind). Needs no data and writes nothing.
 *
 * @example
 * const summary = await dryRunExperiment(await planExperiment({ spec: 'msd.yaml', out: 'runs/msd', withoutData: true }));
 * summary.deviceHours.total;
 */
export async function dryRunExperiment(plan: ExperimentPlan, o: { stepTimes?: Partial<Record<StepKind, number>> } = {}): Promise<DryRunSummary> {
  const { graph, tasks } = plan;
  const zero = () => Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const byStage = zero();
  const perTask = new Map(tasks.map((t) => [t.name, zero()]));
  for (const job of graph.jobs) {
    byStage[job.kind]++;
    if (job.meta.task !== undefined) perTask.get(job.meta.task)![job.kind]++;
  }
  // One measurement per network kind and space, at the largest patch × batch of its jobs; the other
  // jobs' steps are scaled from it by voxels (the given --step-time is per step of that largest patch).
  const largest = new Map<string, PlannedJob>();
  for (const job of graph.jobs) {
    const kind = kindOf(job);
    if (!kind) continue;
    const sig = `${kind} ${signature(configOf(job, graph))}`;
    const cur = largest.get(sig);
    if (!cur || voxelsOf(configOf(job, graph)) > voxelsOf(configOf(cur, graph))) largest.set(sig, job);
  }
  const measured = new Map<string, StepTime & { config: string; voxels: number }>();
  for (const [sig, job] of largest) {
    const kind = kindOf(job)!;
    const given = o.stepTimes?.[kind];
    const task = tasks.find((x) => x.name === job.meta.task)!;
    const st: StepTime =
      given !== undefined
        ? { kind, seconds: given, how: 'given (--step-time)' }
        : await measureStepTime({ kind, config: configOf(job, graph), channels: task.channels, classes: task.classes });
    const c = configOf(job, graph);
    measured.set(sig, {
      ...st,
      voxels: voxelsOf(c),
      config: `patch ${c.data.patchSize.join('×')} × batch ${c.data.batchSize}, ${c.search.levels} levels, ${c.search.baseChannels} base channels`,
    });
  }
  let search = 0;
  let quality = 0;
  let train = 0;
  for (const job of graph.jobs) {
    const kind = kindOf(job);
    if (!kind) continue;
    const cfg = configOf(job, graph);
    const t = measured.get(`${kind} ${signature(cfg)}`)!;
    const seconds = (job.totalSteps ?? 0) * t.seconds * (voxelsOf(cfg) / t.voxels);
    if (job.kind === 'search') search += seconds;
    else if (job.kind === 'search-quality') quality += seconds;
    else train += seconds;
  }
  return {
    name: plan.resolved.name,
    expDir: plan.expDir,
    jobs: graph.jobs.length,
    byStage,
    byTask: tasks.map((t) => ({ task: t.name, channels: t.channels, classes: t.classes, described: t.described, ...perTask.get(t.name)! })),
    stepTimes: [...measured.values()].map(({ voxels: _, ...t }) => t),
    backend: currentBackend()?.summary.replace(/^voxnas backend:\s*/, '') ?? 'not measured (all step times given)',
    deviceHours: { total: (search + quality + train) / 3600, search: search / 3600, searchQuality: quality / 3600, train: train / 3600 },
    notes: graph.notes,
  };
}

/** The dry run as text. */
export function formatDryRun(d: DryRunSummary): string {
  const n = (s: Stage) => d.byStage[s];
  const h = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2));
  return [
    `experiment '${d.name}' → ${d.expDir} (dry run: nothing written, no job started)`,
    `job graph: ${d.jobs} jobs = ${n('search')} searches${n('search-quality') ? ` + ${n('search-quality')} search-quality studies` : ''} + ${n('train')} trainings + ${n('evaluate')} evaluations + ${n('aggregate')} report`,
    ...d.byTask.map(
      (t) => `  ${t.task}: ${t.search} searches, ${t['search-quality'] ? `${t['search-quality']} search-quality studies, ` : ''}${t.train} trainings, ${t.evaluate} evaluations (${t.channels} channel(s), ${t.classes} classes, from the ${t.described === 'dataset' ? "dataset's dataset.json" : t.described === 'spec' ? 'spec' : 'defaults: set tasks[].channels/classes'})`,
    ),
    `step times (${d.backend}):`,
    ...d.stepTimes.map((t) => `  ${t.kind.padEnd(6)} ${t.seconds.toPrecision(3)} s/step  ${t.config}; ${t.how}`),
    `estimate: ${h(d.deviceHours.total)} device-hours on this backend = searches ${h(d.deviceHours.search)}${d.deviceHours.searchQuality ? ` + search quality ${h(d.deviceHours.searchQuality)}` : ''} + trainings ${h(d.deviceHours.train)} (evaluations and data preparation not included)`,
    ...d.notes.map((x) => `note: ${x}`),
  ].join('\n');
}
