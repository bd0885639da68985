import { closeSync, existsSync, openSync, writeSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { currentBackend } from '@voxnas/ops';
import { JOB_FILES } from './layout.js';
import { readArrayManifest, readJobFile, readJobStatus, writeJobStatus, type JobAttempt, type JobFile, type JobStatus } from './job-files.js';
import { ExperimentStateError } from './errors.js';

/** Options of {@link executeJob}. */
export interface ExecuteJobOptions {
  readonly executor: 'local' | 'slurm';
  /**
   * True in a job process: everything the process prints goes to the job's `job.log`. False when the
   * job runs inside another process (the local executor's report job), which then only logs through
   * the command's own output.
   */
  readonly redirect: boolean;
  /** The local executor's pid: the job stops when that process is gone (killed runner ⇒ no orphans). */
  readonly parentPid?: number;
}

const now = () => new Date().toISOString();

function slurmInfo(): JobAttempt['slurm'] {
  const id = process.env.SLURM_JOB_ID;
  if (!id) return null;
  return {
    jobId: id,
    arrayJobId: process.env.SLURM_ARRAY_JOB_ID ?? null,
    arrayTaskId: process.env.SLURM_ARRAY_TASK_ID ?? null,
    restartCount: Number(process.env.SLURM_RESTART_COUNT ?? 0) || 0,
  };
}

function sumSeconds(attempts: readonly JobAttempt[]): number {
  return Math.round(attempts.reduce((a, t) => a + t.seconds, 0) * 1000) / 1000;
}

/** Writes a status synchronously (from a signal handler): temp file, then rename. */
function writeStatusSync(dir: string, status: JobStatus): void {
  const path = join(dir, JOB_FILES.status);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * The job file of array task `SLURM_ARRAY_TASK_ID` (or `index`) of a Slurm array manifest.
 *
 * @example
 * const jobFile = await jobFromManifest('/runs/study/slurm/train-1.json');
 */
export async function jobFromManifest(manifest: string, index = process.env.SLURM_ARRAY_TASK_ID): Promise<string> {
  if (index === undefined) throw new ExperimentStateError(`array manifest ${manifest}: SLURM_ARRAY_TASK_ID is not set (run it as a Slurm array task)`);
  const m = await readArrayManifest(manifest);
  const file = m.jobs[index];
  if (!file) throw new ExperimentStateError(`array manifest ${manifest}: no job for array task ${index} (has ${Object.keys(m.jobs).join(', ')})`);
  return file;
}

/**
 * Runs one experiment job — the body of `voxnas experiment exec-job` (a job process, local or on a
 * Slurm node) and of the local executor's in-process report job. It reads the job's argv from its
 * `job.json` (nothing is ever passed through a shell), checks that its dependencies are done, runs its
 * voxnas commands in this process (the `resume` form when the run directory already holds a run, so a
 * requeued, preempted or killed job continues from its last checkpoint), appends everything printed to
 * `job.log` and records each attempt in `job-status.json`. A job already done with the same hash
 * returns at once. Returns the exit code (0 done).
 *
 * @example
 * process.exitCode = await executeJob('/runs/study/jobs/p/fold-0/unet/seed-0/train/job.json', { executor: 'local', redirect: true });
 */
export async function executeJob(jobFile: string, options: ExecuteJobOptions): Promise<number> {
  const job: JobFile = await readJobFile(jobFile);
  await mkdir(job.dir, { recursive: true });
  const previous = await readJobStatus(job.dir).catch(() => null);
  if (previous?.state === 'done' && previous.hash === job.hash) return 0;

  const logPath = join(job.dir, JOB_FILES.log);
  const fd = openSync(logPath, 'a');
  const logLine = (line: string) => writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
  if (options.redirect) {
    const write = (chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      else writeSync(fd, chunk);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    };
    process.stdout.write = write as typeof process.stdout.write;
    process.stderr.write = write as typeof process.stderr.write;
  }
  if (!process.env.OMP_NUM_THREADS) process.env.OMP_NUM_THREADS = String(process.env.SLURM_CPUS_PER_TASK ?? job.threads);

  const attempts: JobAttempt[] = (previous?.hash === job.hash ? previous.attempts : []).map((a) =>
    a.outcome === 'running' ? { ...a, outcome: 'interrupted', endedAt: a.lastSeen } : a,
  );
  const slurm = slurmInfo();
  const started = Date.now();
  const attempt: JobAttempt = {
    startedAt: now(),
    lastSeen: now(),
    endedAt: null,
    seconds: 0,
    outcome: 'running',
    exitCode: null,
    host: hostname(),
    executor: options.executor,
    slurm,
  };
  attempts.push(attempt);
  const status = (state: JobStatus['state'], exitCode: number | null, error: string | null): JobStatus => {
    attempt.lastSeen = now();
    attempt.seconds = (Date.now() - started) / 1000;
    return {
      schema: 'voxnas/experiment-job-status@1',
      id: job.id,
      hash: job.hash,
      state,
      exitCode,
      error,
      backend: currentBackend()?.summary ?? previous?.backend ?? null,
      deviceSeconds: sumSeconds(attempts),
      attempts: attempts.map((a) => ({ ...a })),
    };
  };
  logLine(
    `--- voxnas experiment job ${job.id}: attempt ${attempts.length} (${options.executor}${slurm ? `, Slurm job ${slurm.arrayJobId ? `${slurm.arrayJobId}_${slurm.arrayTaskId}` : slurm.jobId}, restart ${slurm.restartCount}` : ''}) on ${attempt.host} at ${attempt.startedAt}`,
  );

  // Dependencies must be done (the executors ensure it; a job started by hand gets a clear error).
  // The report is the exception: it reports whatever finished.
  for (const dep of job.kind === 'aggregate' ? [] : job.deps) {
    const s = await readJobStatus(dep.dir).catch(() => null);
    if (s?.state !== 'done' || s.hash !== dep.hash) {
      const error = `dependency ${dep.id} is not done (${s ? s.state : 'never started'}; log ${join(dep.dir, JOB_FILES.log)})`;
      logLine(`voxnas experiment: ${error}`);
      Object.assign(attempt, { outcome: 'failed', exitCode: 3, endedAt: now() });
      await writeJobStatus(job.dir, status('failed', 3, error));
      closeSync(fd);
      return 3;
    }
  }

  // Status writes go one after another (a heartbeat's write must never land after the final one).
  let writing: Promise<void> = Promise.resolve();
  const save = (s: JobStatus) => (writing = writing.then(() => writeJobStatus(job.dir, s)).catch(() => {}));
  await save(status('running', null, null));
  const heartbeat = setInterval(() => void save(status('running', null, null)), 10_000);
  heartbeat.unref();
  const onTerm = (signal: NodeJS.Signals) => {
    Object.assign(attempt, { outcome: 'interrupted', endedAt: now() });
    try {
      logLine(`voxnas experiment: ${signal} received; stopping (the next attempt resumes from the last checkpoint)`);
      writeStatusSync(job.dir, status('interrupted', null, `stopped by ${signal}`));
    } finally {
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
  };
  if (options.redirect) {
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onTerm);
  }
  let watch: NodeJS.Timeout | undefined;
  if (options.parentPid !== undefined) {
    const parent = options.parentPid;
    watch = setInterval(() => {
      if (process.ppid !== parent) onTerm('SIGHUP');
    }, 500);
    watch.unref();
  }

  const { main } = await import('../main.js');
  let code = 0;
  let lastError: string | null = null;
  const io = {
    out: (t: string) => logLine(t),
    err: (t: string) => {
      logLine(t);
      if (/error|\[E_/i.test(t)) lastError = t.split('\n')[0]!.slice(0, 500);
    },
  };
  try {
    for (const step of job.steps) {
      const argv = step.resume && existsSync(join(job.dir, 'config.json')) ? step.resume : step.argv;
      logLine(`voxnas experiment: running voxnas ${argv.map((a) => JSON.stringify(a)).join(' ')}`);
      code = await main([...argv], io);
      if (code !== 0) break;
    }
  } catch (e) {
    code = 70;
    lastError = `internal error: ${(e as Error)?.stack ?? String(e)}`;
    logLine(lastError);
  } finally {
    clearInterval(heartbeat);
    if (watch) clearInterval(watch);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
  }
  Object.assign(attempt, { outcome: code === 0 ? 'done' : 'failed', exitCode: code, endedAt: now() });
  await writing;
  await writeJobStatus(job.dir, status(code === 0 ? 'done' : 'failed', code, code === 0 ? null : (lastError ?? `exit code ${code}`)));
  logLine(`--- voxnas experiment job ${job.id}: ${code === 0 ? 'done' : `failed (exit ${code})`} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  closeSync(fd);
  return code;
}
