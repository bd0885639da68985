import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from '@voxnas/core/node';
import { ExperimentSpecError, SlurmError } from './errors.js';
import { doneJobs, formatSeconds, logOf, type ExecutionResult, type JobFitCheck, type JobOutcome } from './executor.js';
import type { PlannedJob } from './graph.js';
import { voxnasCommand, type VoxnasCommand } from './job-command.js';
import { readJobStatus } from './job-files.js';
import { JOB_FILES, layout } from './layout.js';
import type { ExperimentPlan } from './plan.js';
import { TERMINAL_FAILURES, arrayStates, sbatch, slurmCommand, slurmPartitions, type TaskState } from './slurm.js';
import { STAGES, type StageResources } from './spec-schema.js';

/** Options of {@link runSlurm}. */
export interface SlurmExecutorOptions {
  readonly plan: ExperimentPlan;
  readonly log: (line: string) => void;
  /** Follow the jobs until every one has finished (default true); false returns after submitting. */
  readonly wait?: boolean;
  /** Seconds between polls (default 10). */
  readonly pollS?: number;
  /** Give up waiting after this many seconds (the jobs keep running in Slurm). */
  readonly timeoutS?: number;
  /** How a job starts voxnas (default: this voxnas, by absolute paths: a shared filesystem is assumed). */
  readonly command?: VoxnasCommand;
  /** Refuses jobs that cannot fit (see {@link JobFitCheck}). */
  readonly fits?: JobFitCheck;
}

/** Where a job went: an array job id and its task id. */
interface Placement {
  readonly arrayId: string;
  readonly task: number;
}

interface Submission {
  readonly stage: string;
  readonly arrayId: string;
  readonly manifest: string;
  readonly jobs: Readonly<Record<string, string>>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The batch script every array task runs. Its only input is `$1`, the path of the array's manifest
 * (given to sbatch as an argument, never pasted into the script); the job reads what to run from the
 * manifest and its `job.json`. The voxnas command is quoted literally.
 */
export function jobScript(command: VoxnasCommand): string {
  return [
    '#!/bin/sh',
    '# voxnas experiment: one Slurm array task (generated). sbatch passes the array manifest (JSON) as $1;',
    '# the task reads its job from it — nothing from the experiment spec is ever part of this script.',
    `exec ${[command.node, ...command.args].map(shellQuote).join(' ')} experiment exec-job --manifest "$1"`,
    '',
  ].join('\n');
}

/** sbatch options of a stage's resources. */
export function resourceArgs(r: StageResources): string[] {
  return [
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.gpus > 0 ? [`--gres=gpu:${r.gpus}`] : []),
    `--cpus-per-task=${r.cpus}`,
    `--mem=${r.mem}`,
    `--time=${r.time}`,
    r.requeue ? '--requeue' : '--no-requeue',
    ...r.sbatch,
  ];
}

/** `: <the first error line>` of a Slurm output file, or ''. */
function errorLine(file: string): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').split('\n').slice(-80);
  const hit = lines.find((l) => /\b\w*Error\b|\[E_|error:/.test(l));
  return hit ? `: ${hit.trim().slice(0, 300)}` : '';
}

function compress(ids: readonly number[]): string {
  return [...ids].sort((a, b) => a - b).join(',');
}

function readSubmissions(file: string): Submission[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Submission);
}

/**
 * Checks that Slurm answers and that every stage's partition exists, before anything is submitted;
 * {@link SlurmError} names the command that failed, {@link ExperimentSpecError} the resource field.
 */
export async function checkSlurm(plan: ExperimentPlan): Promise<void> {
  const { partitions } = await slurmPartitions();
  const problems: string[] = [];
  for (const stage of STAGES) {
    const p = plan.resolved.spec.resources[stage].partition;
    if (p && !partitions.includes(p)) problems.push(`field 'resources.${stage}.partition' is '${p}', but the cluster's partitions are ${partitions.map((x) => `'${x}'`).join(', ')}`);
  }
  if (problems.length) throw new ExperimentSpecError(problems.join('; '), { issues: problems });
}

/**
 * The `slurm` executor: submits the job graph to Slurm with `sbatch`, one job array per stage and
 * dependency pattern — a stage's jobs that wait on nothing form one array; jobs that each wait on one
 * job of an earlier array form arrays with the same task ids and `--dependency=aftercorr:<array>`
 * (task i waits for task i only, so one failed job stops only what depends on it); the report waits
 * with `afterany` — always with `--kill-on-invalid-dep=yes` (a dependent of a failed job is cancelled,
 * not left pending), per-stage resources (`--partition`, `--gres=gpu:N`, `--cpus-per-task`, `--mem`,
 * `--time`, `--requeue`), `--open-mode=append` logs under `<exp>/slurm/logs/` and `--chdir` to the
 * experiment. The batch script only execs `voxnas experiment exec-job --manifest "$1"`; each task reads
 * its job from the manifest, logs to `job.log` in its run directory and records its state in
 * `job-status.json`, so a requeued or preempted task resumes its run from the last checkpoint. Jobs
 * already done, and jobs still queued or running from an earlier submission, are not submitted again.
 * With `wait`, follows the jobs (status files and `squeue -t all`) until all have finished.
 *
 * @example
 * const result = await runSlurm({ plan, log: console.error, pollS: 5 });
 */
export async function runSlurm(o: SlurmExecutorOptions): Promise<ExecutionResult | null> {
  const { plan } = o;
  const { graph, expDir, resolved } = plan;
  const t0 = Date.now();
  await checkSlurm(plan);
  const slurmDir = layout.slurm(expDir);
  const logDir = join(slurmDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const script = join(slurmDir, 'job.sh');
  await atomicWrite(script, jobScript(o.command ?? voxnasCommand()));
  await chmod(script, 0o755);
  const submissionsFile = join(slurmDir, 'submissions.jsonl');

  // What is done, and what an earlier submission still has in the queue.
  const done = await doneJobs(graph.jobs);
  const placement = new Map<string, Placement>();
  const previous = readSubmissions(submissionsFile);
  const prevStates = await arrayStates(previous.map((s) => s.arrayId));
  for (const s of previous) {
    for (const [task, id] of Object.entries(s.jobs)) {
      const st = prevStates.get(`${s.arrayId}_${task}`);
      const job = graph.byId.get(id);
      if (!job || done.has(id) || !st || TERMINAL_FAILURES.has(st.state) || st.state === 'COMPLETED') continue;
      // still queued or running: keep it if it runs this very job (same hash)
      const status = await readJobStatus(job.dir).catch(() => null);
      if (status && status.hash !== job.hash) continue;
      placement.set(id, { arrayId: s.arrayId, task: Number(task) });
    }
  }
  if (placement.size) o.log(`voxnas experiment: ${placement.size} job(s) still queued or running from an earlier submission; not submitted again`);

  const outcomes: JobOutcome[] = [];
  const skipped = new Set<string>();
  const refusedOrSkipped = (job: PlannedJob) => {
    const bad = job.deps.find((d) => skipped.has(d));
    return bad;
  };

  // Validate each stage's resources with `sbatch --test-only` before submitting anything.
  const toSubmit = graph.jobs.filter((j) => !done.has(j.id) && !placement.has(j.id));
  for (const stage of new Set(toSubmit.map((j) => j.kind))) {
    await slurmCommand('sbatch', ['--test-only', '--array=0', ...resourceArgs(resolved.spec.resources[stage]), `--chdir=${expDir}`, `--output=${join(logDir, 'test-only.log').replace(/%/g, '%%')}`, script, '/dev/null']).catch(
      (e: unknown) => {
        throw new SlurmError(`the resources of stage '${stage}' (resources.${stage}) are not accepted by this cluster: ${(e as Error).message}`, { cause: e });
      },
    );
  }

  let submitted = 0;
  for (const stage of STAGES) {
    const jobs = toSubmit.filter((j) => j.kind === stage);
    if (!jobs.length) continue;
    const resources = resolved.spec.resources[stage];
    // Jobs that cannot run: a dependency that failed before (not done, not queued), or a fit check.
    const runnable: PlannedJob[] = [];
    for (const job of jobs) {
      const refused = o.fits?.(job, resources);
      if (refused) {
        skipped.add(job.id);
        outcomes.push({ id: job.id, state: 'failed', log: logOf(job), reason: `not scheduled: ${refused}` });
        continue;
      }
      const lost = job.kind === 'aggregate' ? undefined : job.deps.find((d) => !done.has(d) && !placement.has(d));
      const bad = refusedOrSkipped(job) ?? lost;
      if (bad && job.kind !== 'aggregate') {
        skipped.add(job.id);
        outcomes.push({ id: job.id, state: 'skipped', log: logOf(job), reason: `${bad} is not done and was not submitted` });
        continue;
      }
      runnable.push(job);
    }
    // Group: no pending dependency → one array; one pending dependency → aftercorr arrays; else afterany list.
    const groups: Array<{ jobs: Array<[number, PlannedJob]>; dependency: string | null }> = [];
    const free: PlannedJob[] = [];
    const byUpstream = new Map<string, Array<[number, PlannedJob]>>();
    const multi: PlannedJob[] = [];
    for (const job of runnable) {
      const pending = job.deps.filter((d) => !done.has(d) && placement.has(d));
      if (pending.length === 0) free.push(job);
      else if (pending.length === 1 && job.kind !== 'aggregate') {
        const p = placement.get(pending[0]!)!;
        byUpstream.set(p.arrayId, [...(byUpstream.get(p.arrayId) ?? []), [p.task, job]]);
      } else multi.push(job);
    }
    if (free.length) groups.push({ jobs: free.map((j, i) => [i, j]), dependency: null });
    for (const [arrayId, list] of byUpstream) {
      const layers: Array<Array<[number, PlannedJob]>> = [];
      for (const [task, job] of list) {
        const layer = layers.find((l) => !l.some(([t]) => t === task));
        if (layer) layer.push([task, job]);
        else layers.push([[task, job]]);
      }
      for (const layer of layers) groups.push({ jobs: layer, dependency: `aftercorr:${arrayId}` });
    }
    for (const job of multi) {
      const arrays = [...new Set(job.deps.filter((d) => placement.has(d) && !done.has(d)).map((d) => placement.get(d)!.arrayId))];
      groups.push({ jobs: [[0, job]], dependency: `${job.kind === 'aggregate' ? 'afterany' : 'afterok'}:${arrays.join(':')}` });
    }
    for (const [n, group] of groups.entries()) {
      const manifestPath = join(slurmDir, `${stage}-${Date.now()}-${n}.json`);
      const manifest = {
        schema: 'voxnas/experiment-array@1',
        stage,
        jobs: Object.fromEntries(group.jobs.map(([t, j]) => [String(t), join(j.dir, JOB_FILES.job)])),
      };
      await atomicWrite(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      const args = [
        '--parsable',
        `--job-name=voxnas-${stage}`,
        `--array=${compress(group.jobs.map(([t]) => t))}`,
        `--output=${join(logDir, `${stage}-`).replace(/%/g, '%%')}%A_%a.log`,
        '--open-mode=append',
        '--kill-on-invalid-dep=yes',
        `--chdir=${expDir}`,
        ...(group.dependency ? [`--dependency=${group.dependency}`] : []),
        ...resourceArgs(resources),
        script,
        manifestPath,
      ];
      const arrayId = await sbatch(args);
      submitted += group.jobs.length;
      for (const [t, j] of group.jobs) placement.set(j.id, { arrayId, task: t });
      const record: Submission = { stage, arrayId, manifest: manifestPath, jobs: Object.fromEntries(group.jobs.map(([t, j]) => [String(t), j.id])) };
      await appendFile(submissionsFile, `${JSON.stringify(record)}\n`);
      o.log(`voxnas experiment: sbatch ${stage} array ${arrayId} (${group.jobs.length} job(s)${group.dependency ? `, ${group.dependency}` : ''})`);
    }
  }
  o.log(`voxnas experiment: ${submitted} job(s) submitted, ${done.size} done earlier; Slurm logs in ${logDir}`);
  if (o.wait === false) return null;

  // Follow: status files first (they survive MinJobAge), Slurm's view for what never wrote one.
  const tracked = graph.jobs.filter((j) => placement.has(j.id));
  const final = new Map<string, JobOutcome>();
  for (const out of outcomes) final.set(out.id, out);
  const pollS = o.pollS ?? 10;
  let lastSummary = Date.now();
  let missingPolls = new Map<string, number>();
  for (;;) {
    const arrays = [...new Set([...placement.values()].map((p) => p.arrayId))];
    const states = await arrayStates(arrays);
    const nextMissing = new Map<string, number>();
    for (const job of tracked) {
      if (final.has(job.id)) continue;
      const p = placement.get(job.id)!;
      const st: TaskState | undefined = states.get(`${p.arrayId}_${p.task}`);
      const status = await readJobStatus(job.dir).catch(() => null);
      const mine = status && status.hash === job.hash ? status : null;
      if (mine?.state === 'done') {
        final.set(job.id, { id: job.id, state: 'done', log: logOf(job) });
        o.log(`✓ ${job.id} (${formatSeconds(mine.deviceSeconds)}${mine.attempts.length > 1 ? `, ${mine.attempts.length} attempts` : ''})`);
        continue;
      }
      const terminal = st && (TERMINAL_FAILURES.has(st.state) || st.state === 'COMPLETED');
      if (terminal || (!st && (missingPolls.get(job.id) ?? 0) >= 2)) {
        if (st?.reason === 'DependencyNeverSatisfied') {
          const dep = job.deps.find((d) => final.get(d)?.state !== 'done') ?? job.deps[0] ?? '?';
          final.set(job.id, { id: job.id, state: 'skipped', log: logOf(job), reason: `${dep} did not finish (Slurm cancelled this job: DependencyNeverSatisfied)` });
          continue;
        }
        const slurmLog = join(logDir, `${job.kind}-${p.arrayId}_${p.task}.log`);
        const reason =
          mine?.state === 'failed'
            ? (mine.error ?? `exit ${mine.exitCode}`)
            : `${st ? `Slurm ${st.state} (${st.reason})` : 'no longer known to Slurm and no status written'}${errorLine(slurmLog)}`;
        const log = mine ? logOf(job) : `${logOf(job)} (Slurm's: ${slurmLog})`;
        final.set(job.id, { id: job.id, state: 'failed', log, reason });
        o.log(`✗ ${job.id} failed: ${reason}\n  log: ${log}`);
        continue;
      }
      if (!st) nextMissing.set(job.id, (missingPolls.get(job.id) ?? 0) + 1);
    }
    missingPolls = nextMissing;
    if (tracked.every((j) => final.has(j.id))) break;
    if (o.timeoutS !== undefined && (Date.now() - t0) / 1000 > o.timeoutS) {
      const open = tracked.filter((j) => !final.has(j.id)).map((j) => j.id);
      throw new SlurmError(`gave up waiting after ${o.timeoutS} s; ${open.length} job(s) not finished (they keep running in Slurm): ${open.slice(0, 5).join(', ')}${open.length > 5 ? ', …' : ''}`);
    }
    if (Date.now() - lastSummary > 60_000) {
      lastSummary = Date.now();
      const counts = new Map<string, number>();
      for (const st of states.values()) counts.set(st.state, (counts.get(st.state) ?? 0) + 1);
      o.log(`  … ${final.size}/${tracked.length} finished; Slurm: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')} (${formatSeconds((Date.now() - t0) / 1000)})`);
    }
    await new Promise((w) => setTimeout(w, pollS * 1000));
  }
  const all = [...final.values()];
  return { executor: 'slurm', outcomes: all, alreadyDone: done.size, seconds: (Date.now() - t0) / 1000 };
}
