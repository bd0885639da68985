import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { doneJobs, formatSeconds, logOf, progressLine, type ExecutionResult, type JobFitCheck, type JobOutcome } from './executor.js';
import type { PlannedJob } from './graph.js';
import { executeJob } from './job-runner.js';
import { voxnasCommand, type VoxnasCommand } from './job-command.js';
import { readJobStatus } from './job-files.js';
import { JOB_FILES } from './layout.js';
import type { ExperimentPlan } from './plan.js';

/** Options of {@link runLocal}. */
export interface LocalExecutorOptions {
  readonly plan: ExperimentPlan;
  /** Jobs at once. Default: as many as fit in this machine's cores, each job taking its stage's `cpus`. */
  readonly jobs?: number;
  /** Lines for the user (job started/finished, progress). */
  readonly log: (line: string) => void;
  /** A terminal: redraw one progress line per running job (else plain lines every `intervalS`). */
  readonly tty?: { write(text: string): void } | null;
  /** Seconds between plain progress lines (default 30). */
  readonly intervalS?: number;
  /** How to start voxnas in a job process (default: this voxnas). */
  readonly command?: VoxnasCommand;
  /** Refuses jobs that cannot fit (see {@link JobFitCheck}). */
  readonly fits?: JobFitCheck;
}

interface Running {
  readonly job: PlannedJob;
  readonly child: ChildProcess | null;
  readonly started: number;
  readonly cpus: number;
  tail: string;
}

function lockedByOther(dir: string): boolean {
  const lock = join(dir, 'run.lock');
  if (!existsSync(lock)) return false;
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Launch preference of the stages: the lower, the sooner among ready jobs. Search-quality studies come
 * last: they are diagnostics that nothing but the report waits for, and long (several trainings each).
 */
const STAGE_PREFERENCE: Readonly<Record<PlannedJob['kind'], number>> = { aggregate: 0, evaluate: 1, train: 2, search: 3, 'search-quality': 4 };

/**
 * The order in which the local executor considers ready jobs: later stages first, graph order within
 * a stage. An evaluation starts as soon as its training is done, so results arrive run by run and an
 * interrupted study holds finished train + evaluate pairs rather than many unevaluated trainings.
 *
 * @example
 * launchOrder(plan.graph.jobs)[0].kind; // 'aggregate' (it is ready only when everything else ended)
 */
export function launchOrder(jobs: readonly PlannedJob[]): PlannedJob[] {
  return [...jobs].sort((a, b) => STAGE_PREFERENCE[a.kind] - STAGE_PREFERENCE[b.kind]);
}

/**
 * The `local` executor: runs the job graph on this machine, each job in its own process
 * (`voxnas experiment exec-job <job.json>`, started without a shell), as many at once as the cores
 * allow (each job takes its stage's `cpus`; `jobs` overrides), as their dependencies finish — later
 * stages first among the ready jobs (see {@link launchOrder}). Jobs already done are skipped; a job
 * whose dependency failed is skipped and reported, the rest of the graph runs on. Job processes stop
 * when this process dies (even by SIGKILL), and running it again continues every job from its last
 * checkpoint. The report job runs last, in this process, whatever failed.
 *
 * @example
 * const result = await runLocal({ plan, log: (l) => console.error(l) });
 * result.outcomes.filter((o) => o.state === 'failed');
 */
export async function runLocal(o: LocalExecutorOptions): Promise<ExecutionResult> {
  const { graph, resolved } = o.plan;
  const order = launchOrder(graph.jobs);
  const t0 = Date.now();
  const command = o.command ?? voxnasCommand();
  const cores = availableParallelism();
  const state = new Map<string, 'pending' | 'running' | 'done' | 'failed' | 'skipped'>();
  const done = await doneJobs(graph.jobs);
  for (const job of graph.jobs) state.set(job.id, done.has(job.id) ? 'done' : 'pending');
  const outcomes: JobOutcome[] = [];
  const running = new Map<string, Running>();
  const reasons = new Map<string, string>();
  let liveLines = 0;

  const print = (line: string) => {
    if (o.tty && liveLines) o.tty.write(`\x1b[${liveLines}F\x1b[J`);
    liveLines = 0;
    o.log(line);
  };
  const redraw = () => {
    if (!o.tty) return;
    const lines = [...running.values()].map((r) => `  ▸ ${progressLine(r.job, (Date.now() - r.started) / 1000)}`);
    const counts = `  ${[...state.values()].filter((s) => s === 'done').length}/${graph.jobs.length} done, ${running.size} running (${formatSeconds((Date.now() - t0) / 1000)})`;
    o.tty.write(`${liveLines ? `\x1b[${liveLines}F\x1b[J` : ''}${[...lines, counts].join('\n')}\n`);
    liveLines = lines.length + 1;
  };

  const finish = async (job: PlannedJob, tail: string) => {
    running.delete(job.id);
    const status = await readJobStatus(job.dir).catch(() => null);
    if (status?.state === 'done' && status.hash === job.hash) {
      state.set(job.id, 'done');
      outcomes.push({ id: job.id, state: 'done', log: logOf(job) });
      print(`✓ ${job.id} (${formatSeconds(status.attempts.at(-1)?.seconds ?? 0)})`);
    } else {
      state.set(job.id, 'failed');
      const lines = tail.trim().split('\n').filter((l) => l.trim());
      const reason =
        status?.error ?? lines.find((l) => /\b\w*Error\b|\[E_/.test(l))?.trim() ?? (lines.at(-1) || 'the job process ended without a status');
      outcomes.push({ id: job.id, state: 'failed', log: logOf(job), reason });
      print(`✗ ${job.id} failed: ${reason}\n  log: ${logOf(job)}`);
    }
  };

  const stopAll = (signal: NodeJS.Signals) => {
    for (const r of running.values()) r.child?.kill('SIGTERM');
    print(`voxnas experiment: ${signal}: stopped ${running.size} running job(s); run the same command again to continue`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);

  let wake: (() => void) | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let lastPlain = Date.now();
  try {
    for (;;) {
      // Skip what can no longer run; start what is ready.
      for (const job of graph.jobs) {
        if (state.get(job.id) !== 'pending') continue;
        const deps = job.deps.map((d) => [d, state.get(d)!] as const);
        if (job.kind !== 'aggregate') {
          const bad = deps.find(([, s]) => s === 'failed' || s === 'skipped');
          if (bad) {
            state.set(job.id, 'skipped');
            reasons.set(job.id, `${bad[0]} ${bad[1] === 'failed' ? 'failed' : 'was skipped'}`);
            outcomes.push({ id: job.id, state: 'skipped', log: logOf(job), reason: reasons.get(job.id)! });
          }
        }
      }
      let usedCpus = [...running.values()].reduce((a, r) => a + r.cpus, 0);
      for (const job of order) {
        if (state.get(job.id) !== 'pending') continue;
        const deps = job.deps.map((d) => state.get(d)!);
        const ready = job.kind === 'aggregate' ? deps.every((s) => s === 'done' || s === 'failed' || s === 'skipped') : deps.every((s) => s === 'done');
        if (!ready) continue;
        const cpus = resolved.spec.resources[job.kind].cpus;
        const capacity = o.jobs !== undefined ? running.size < o.jobs : running.size === 0 || usedCpus + cpus <= cores;
        if (!capacity) break;
        const refused = o.fits?.(job, resolved.spec.resources[job.kind]);
        if (refused) {
          state.set(job.id, 'failed');
          outcomes.push({ id: job.id, state: 'failed', log: logOf(job), reason: `not scheduled: ${refused}` });
          print(`✗ ${job.id} not scheduled: ${refused}`);
          continue;
        }
        if (lockedByOther(job.dir)) continue; // a job process of a killed run still exiting
        state.set(job.id, 'running');
        usedCpus += cpus;
        const jobFile = join(job.dir, JOB_FILES.job);
        if (job.kind === 'aggregate') {
          // The report reads files only: run it here (no second Node start-up).
          const r: Running = { job, child: null, started: Date.now(), cpus, tail: '' };
          running.set(job.id, r);
          print(`▸ ${job.id}`);
          void executeJob(jobFile, { executor: 'local', redirect: false })
            .catch((e: unknown) => {
              r.tail = String((e as Error)?.message ?? e);
            })
            .then(() => finish(job, r.tail))
            .then(wakeUp);
          continue;
        }
        const child = spawn(command.node, [...command.args, 'experiment', 'exec-job', jobFile, '--parent-pid', String(process.pid)], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, OMP_NUM_THREADS: String(cpus) },
        });
        const r: Running = { job, child, started: Date.now(), cpus, tail: '' };
        const keep = (chunk: Buffer) => {
          r.tail = (r.tail + chunk.toString('utf8')).slice(-4000);
        };
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        child.on('error', (e) => keep(Buffer.from(`could not start ${command.node}: ${e.message}\n`)));
        child.on('close', () => void finish(job, r.tail).then(wakeUp));
        running.set(job.id, r);
        print(`▸ ${job.id}`);
      }
      if (running.size === 0) {
        if ([...state.values()].some((s) => s === 'pending')) {
          // only jobs locked by an exiting process remain: wait for them
          await new Promise((w) => setTimeout(w, 500));
          continue;
        }
        break;
      }
      await new Promise<void>((w) => {
        wake = w;
        setTimeout(wakeUp, o.tty ? 1000 : 5000);
      });
      if (o.tty) redraw();
      else if (Date.now() - lastPlain >= (o.intervalS ?? 30) * 1000) {
        lastPlain = Date.now();
        for (const r of running.values()) o.log(`  … ${progressLine(r.job, (Date.now() - r.started) / 1000)}`);
      }
    }
  } finally {
    process.off('SIGINT', stopAll);
    process.off('SIGTERM', stopAll);
    if (o.tty && liveLines) o.tty.write(`\x1b[${liveLines}F\x1b[J`);
  }
  return { executor: 'local', outcomes, alreadyDone: done.size, seconds: (Date.now() - t0) / 1000 };
}
