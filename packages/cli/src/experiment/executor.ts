import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedJob } from './graph.js';
import { readJobStatus } from './job-files.js';
import { JOB_FILES } from './layout.js';
import type { StageResources } from './spec-schema.js';

/** How a job ended, as an executor reports it. */
export interface JobOutcome {
  readonly id: string;
  readonly state: 'done' | 'failed' | 'skipped';
  /** The job's log (`job.log` in its directory). */
  readonly log: string;
  /** Failed: the error line; skipped: which dependency failed. */
  readonly reason?: string;
}

/** What an executor did. */
export interface ExecutionResult {
  readonly executor: 'local' | 'slurm';
  readonly outcomes: readonly JobOutcome[];
  /** Jobs that were already done before this run (never redone). */
  readonly alreadyDone: number;
  readonly seconds: number;
}

/**
 * The hook through which a resource estimate keeps a job off a node it cannot fit: returns why `job`
 * cannot run with `resources` (e.g. "needs 31 GiB, the stage has 16G"), or null. The executors ask it
 * before scheduling each job and report a refused job as failed with that reason. voxnas's memory
 * estimator plugs in here; without one every job is scheduled.
 */
export type JobFitCheck = (job: PlannedJob, resources: StageResources) => string | null;

/** Where a job's log is. */
export function logOf(job: PlannedJob): string {
  return join(job.dir, JOB_FILES.log);
}

/** The step a running search or training reached (its `log.jsonl`'s last step record), or null. */
export function lastStep(dir: string): number | null {
  const file = join(dir, 'log.jsonl');
  if (!existsSync(file)) return null;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const n = Math.min(size, 8192);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n').reverse();
    for (const line of lines) {
      const m = /"step":\s*(\d+)/.exec(line);
      if (m && /"type":\s*"(step|search-step)"/.test(line)) return Number(m[1]);
    }
    return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One short line for a job's progress: `jobs/p/fold-0/unet/seed-0/train  step 12/40`. */
export function progressLine(job: PlannedJob, elapsedS: number): string {
  const step = job.totalSteps !== null ? lastStep(job.dir) : null;
  const where = step !== null && job.totalSteps ? `step ${step + 1}/${job.totalSteps}` : job.kind === 'evaluate' ? 'predicting and scoring' : 'starting';
  return `${job.id}  ${where}  ${formatSeconds(elapsedS)}`;
}

/** `m:ss` / `h:mm:ss`. */
export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Jobs already done with their planned hash. */
export async function doneJobs(jobs: readonly PlannedJob[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const job of jobs) {
    const s = await readJobStatus(job.dir).catch(() => null);
    if (s?.state === 'done' && s.hash === job.hash) out.add(job.id);
  }
  return out;
}

/**
 * The closing lines of a run: counts, then every failed job with its log and every skipped job with
 * the dependency that failed.
 *
 * @example
 * io.err(formatOutcomes(result).join('\n'));
 */
export function formatOutcomes(r: ExecutionResult): string[] {
  const count = (s: JobOutcome['state']) => r.outcomes.filter((o) => o.state === s).length;
  const lines = [
    `voxnas experiment (${r.executor}): ${count('done')} job(s) done${r.alreadyDone ? ` (+${r.alreadyDone} done earlier)` : ''}, ${count('failed')} failed, ${count('skipped')} skipped, in ${formatSeconds(r.seconds)}`,
  ];
  for (const o of r.outcomes.filter((x) => x.state === 'failed')) lines.push(`  failed: ${o.id}: ${o.reason ?? 'see its log'}\n          log: ${o.log}`);
  const skipped = r.outcomes.filter((x) => x.state === 'skipped');
  for (const o of skipped.slice(0, 20)) lines.push(`  skipped: ${o.id} (${o.reason})`);
  if (skipped.length > 20) lines.push(`  … and ${skipped.length - 20} more skipped`);
  return lines;
}
