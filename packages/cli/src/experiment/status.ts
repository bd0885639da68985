import { join } from 'node:path';
import { readExperimentFile } from './aggregate.js';
import { readJobFile, readJobStatus } from './job-files.js';
import { JOB_FILES } from './layout.js';

/** A job's state as `voxnas experiment status` shows it. */
export type JobState = 'done' | 'running' | 'failed' | 'interrupted' | 'stale' | 'pending';

/** What `voxnas experiment status` reports. */
export interface ExperimentStatus {
  readonly name: string;
  readonly expDir: string;
  readonly total: number;
  /** stage → state → count. */
  readonly byStage: Readonly<Record<string, Partial<Record<JobState, number>>>>;
  readonly jobs: ReadonlyArray<{ readonly id: string; readonly kind: string; readonly state: JobState; readonly log: string; readonly error: string | null; readonly seconds: number }>;
}

/** A running job whose heartbeat is older than this is shown as stale (its process is gone). */
const STALE_S = 60;

/**
 * The state of every job of an experiment directory, read from the jobs' status files (no scheduler
 * needed): done, running, failed (with the error and log), interrupted (stopped by a signal, resumes
 * on the next run), stale (a running job whose heartbeat stopped) or pending.
 *
 * @example
 * const s = await experimentStatus('/runs/study');
 * s.byStage.train; // { done: 12, running: 2, pending: 10 }
 */
export async function experimentStatus(expDir: string): Promise<ExperimentStatus> {
  const exp = readExperimentFile(expDir);
  const jobs: Array<ExperimentStatus['jobs'][number]> = [];
  const byStage: Record<string, Partial<Record<JobState, number>>> = {};
  for (const id of exp.jobIds) {
    const dir = join(expDir, id);
    const file = await readJobFile(join(dir, JOB_FILES.job));
    const status = await readJobStatus(dir).catch(() => null);
    let state: JobState = 'pending';
    if (status && status.hash === file.hash) {
      state = status.state;
      if (state === 'running' && Date.now() - Date.parse(status.attempts.at(-1)?.lastSeen ?? '') > STALE_S * 1000) state = 'stale';
    }
    jobs.push({ id, kind: file.kind, state, log: join(dir, JOB_FILES.log), error: status?.error ?? null, seconds: status?.deviceSeconds ?? 0 });
    const s = (byStage[file.kind] ??= {});
    s[state] = (s[state] ?? 0) + 1;
  }
  return { name: exp.name, expDir, total: jobs.length, byStage, jobs };
}

/** The status as text: one line per stage, then the failed and running jobs. */
export function formatStatus(s: ExperimentStatus): string {
  const order: JobState[] = ['done', 'running', 'stale', 'interrupted', 'failed', 'pending'];
  const lines = [`experiment '${s.name}' (${s.expDir}): ${s.total} jobs`];
  for (const [stage, counts] of Object.entries(s.byStage)) {
    lines.push(`  ${stage.padEnd(10)} ${order.filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`).join(', ')}`);
  }
  for (const j of s.jobs.filter((x) => x.state === 'failed')) lines.push(`  failed: ${j.id}: ${j.error ?? 'see its log'}\n          log: ${j.log}`);
  for (const j of s.jobs.filter((x) => x.state === 'running' || x.state === 'stale')) lines.push(`  ${j.state}: ${j.id} (log ${j.log})`);
  return lines.join('\n');
}
