import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closestMatch } from '@voxnas/core';
import { defineCommand } from '../command.js';
import { layout } from '../experiment/layout.js';
import { UsageError } from '../errors.js';
import { dryRunExperiment, formatDryRun } from '../experiment/dry-run.js';
import { formatOutcomes, type ExecutionResult } from '../experiment/executor.js';
import { executeJob, jobFromManifest } from '../experiment/job-runner.js';
import { runLocal } from '../experiment/local-executor.js';
import { planExperiment, writePlan } from '../experiment/plan.js';
import { writeExperimentReport } from '../experiment/report-format.js';
import { runSlurm } from '../experiment/slurm-executor.js';
import { memoryFitCheck } from '../experiment/memory-fit.js';
import { experimentStatus, formatStatus } from '../experiment/status.js';
import { parseStepTimes } from '../experiment/step-time.js';

const USAGE = `run <spec.yaml|json> [--out <dir>] [--executor local|slurm] [--jobs n] [--force] [--dry-run [--step-time …]] [--no-wait] [--poll s] [--timeout s] [--json]
       voxnas experiment status <exp-dir> [--json]
       voxnas experiment report <exp-dir> [--out <dir>] [--json]
       voxnas experiment exec-job (<job.json> [--parent-pid n] | --manifest <array.json>)`;

function one(positionals: readonly string[], what: string, sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`voxnas experiment ${sub}: expected ${what}, got ${positionals.length ? positionals.map((p) => `'${p}'`).join(' ') : 'nothing'}`);
  return positionals[0]!;
}

function only(flags: Record<string, unknown>, allowed: readonly string[], sub: string): void {
  const common = ['quiet', 'verbose', 'help', 'progress-interval'];
  const bad = Object.keys(flags).filter((k) => flags[k] !== undefined && !allowed.includes(k) && !common.includes(k));
  if (bad.length) throw new UsageError(`voxnas experiment ${sub}: --${bad[0]} is not an option of '${sub}' (its options: ${allowed.map((a) => `--${a}`).join(', ')})`);
}

/**
 * `voxnas experiment`: a study (tasks × arms × folds × seeds) as one resumable job graph.
 * - `run <spec>`: validates the spec, prepares the data, writes the plan and runs every job not done
 *   yet with the `local` executor (default) or `slurm`; `--dry-run` prints the graph's size and a
 *   device-hours estimate instead (no data needed, nothing written).
 * - `status <exp-dir>`: every job's state from its status file.
 * - `report <exp-dir>`: the study's tables (Markdown, CSV, JSON, HTML with box plots).
 * - `exec-job`: runs one job (started by the executors; never through a shell).
 */
export const experimentCommand = defineCommand({
  name: 'experiment',
  summary: 'run a study (tasks × arms × folds × seeds) as a resumable job graph, locally or on Slurm; status; report',
  usage: USAGE,
  positionals: { value: '<run|status|report> <spec | exp-dir>', description: 'the subcommand and its spec file or experiment directory' },
  flags: {
    out: { type: 'string', value: '<dir>', description: "run: the experiment directory (default: the spec's `out`); report: where to write the report (default <exp>/report)" },
    executor: { type: 'string', value: 'local|slurm', description: 'run: where the jobs run', default: 'local' },
    jobs: { type: 'string', value: '<n>', description: "run (local): jobs at once (default: the cores ÷ each stage's cpus)" },
    force: { type: 'boolean', description: 'run: redo the jobs whose spec changed (their directories move to <exp>/replaced/)' },
    'dry-run': { type: 'boolean', description: 'run: print the job graph, its size and a device-hours estimate from measured step times; no data needed, nothing written' },
    'step-time': { type: 'string', value: 'search=s,unet=s,child=s', description: 'run --dry-run: seconds per step instead of measuring (any subset)' },
    'no-wait': { type: 'boolean', description: 'run (slurm): return after submitting' },
    poll: { type: 'string', value: '<s>', description: 'run (slurm): seconds between queue polls', default: '10' },
    timeout: { type: 'string', value: '<s>', description: 'run (slurm): stop waiting after this many seconds (jobs keep running)' },
    json: { type: 'boolean', description: 'machine-readable output' },
    manifest: { type: 'string', value: '<array.json>', description: 'exec-job: the Slurm array manifest (the task id comes from SLURM_ARRAY_TASK_ID)' },
    'parent-pid': { type: 'string', value: '<pid>', description: 'exec-job: stop when this process (the local executor) is gone' },
  },
  details:
    'A spec names tasks, arms (searched, unet, random, genotype, transfer), folds, seeds, budgets and per-stage resources; every job is an ordinary run directory under <exp>/jobs, resumable and never redone once finished. See packages/cli/README.md "Experiments".',
  async run({ flags, positionals, io, log, progress }) {
    const [sub, ...rest] = positionals;
    const f = flags as Record<string, string | boolean | undefined>;
    switch (sub) {
      case 'run': {
        only(f, ['out', 'executor', 'jobs', 'force', 'dry-run', 'step-time', 'no-wait', 'poll', 'timeout', 'json'], 'run');
        const spec = one(rest, 'one spec file', 'run');
        const executor = flags.executor ?? 'local';
        if (executor !== 'local' && executor !== 'slurm') throw new UsageError(`voxnas experiment run --executor '${executor}': expected local or slurm`);
        const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
        if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new UsageError(`voxnas experiment run --jobs '${flags.jobs}': expected a positive integer`);
        if (flags['step-time'] !== undefined && !flags['dry-run']) throw new UsageError('voxnas experiment run --step-time: only with --dry-run');
        const out = flags.out;
        if (flags['dry-run']) {
          const stepTimes = flags['step-time'] === undefined ? {} : parseStepTimes(flags['step-time']);
          const plan = await planExperiment({ spec, ...(out ? { out } : {}), withoutData: true });
          const d = await dryRunExperiment(plan, { stepTimes });
          io.out(flags.json ? JSON.stringify(d, null, 2) : formatDryRun(d));
          return 0;
        }
        const plan = await planExperiment({ spec, ...(out ? { out } : {}), force: Boolean(flags.force) });
        const { replaced } = await writePlan(plan, { force: Boolean(flags.force) });
        if (replaced.length) log(`voxnas experiment: the spec changed; ${replaced.length} job(s) will run again (old directories in ${plan.expDir}/replaced/)`);
        for (const n of plan.graph.notes) log(`voxnas experiment: note: ${n}`);
        log(`voxnas experiment: ${plan.graph.jobs.length} jobs in ${plan.expDir} (${executor})`);
        let result: ExecutionResult;
        if (executor === 'local') {
          const stream = progress.stream ?? process.stderr;
          const tty = !progress.quiet && stream.isTTY ? { write: (t: string) => void stream.write(t) } : null;
          result = await runLocal({
            plan,
            fits: memoryFitCheck(plan),
            ...(jobs !== undefined ? { jobs } : {}),
            log,
            tty,
            ...(progress.intervalSeconds !== undefined ? { intervalS: Math.max(1, progress.intervalSeconds) } : {}),
          });
        } else {
          const seconds = (flag: 'poll' | 'timeout') => {
            const v = flags[flag] === undefined ? undefined : Number(flags[flag]);
            if (v !== undefined && !(v > 0)) throw new UsageError(`voxnas experiment run --${flag} '${flags[flag]}': expected seconds > 0`);
            return v;
          };
          const pollS = seconds('poll');
          const timeoutS = seconds('timeout');
          const r = await runSlurm({ plan, log, fits: memoryFitCheck(plan), wait: !flags['no-wait'], ...(pollS ? { pollS } : {}), ...(timeoutS ? { timeoutS } : {}) });
          if (!r) {
            io.out(`submitted to Slurm; follow it with: voxnas experiment status ${plan.expDir}`);
            return 0;
          }
          result = r;
        }
        if (flags.json) io.out(JSON.stringify(result, null, 2));
        else {
          io.out(formatOutcomes(result).join('\n'));
          if (result.outcomes.some((o) => o.id === 'report' && o.state === 'done') || existsSync(join(layout.report(plan.expDir), 'report.md'))) {
            io.out(`report: ${join(layout.report(plan.expDir), 'report.md')}`);
          }
        }
        return result.outcomes.every((o) => o.state === 'done') ? 0 : 1;
      }
      case 'status': {
        only(f, ['json'], 'status');
        const s = await experimentStatus(one(rest, 'the experiment directory', 'status'));
        io.out(flags.json ? JSON.stringify(s, null, 2) : formatStatus(s));
        return s.jobs.some((j) => j.state === 'failed') ? 1 : 0;
      }
      case 'report': {
        only(f, ['out', 'json'], 'report');
        const expDir = one(rest, 'the experiment directory', 'report');
        const r = await writeExperimentReport({ expDir, ...(flags.out ? { out: flags.out } : {}) });
        io.out(flags.json ? JSON.stringify(r.results, null, 2) : `${r.markdown}\nreport written: ${r.files.join(', ')}`);
        return 0;
      }
      case 'exec-job': {
        only(f, ['manifest', 'parent-pid'], 'exec-job');
        const manifest = flags.manifest;
        if (manifest ? rest.length !== 0 : rest.length !== 1) throw new UsageError('voxnas experiment exec-job: give one job.json, or --manifest <array.json> in a Slurm array task');
        const jobFile = manifest ? await jobFromManifest(manifest) : rest[0]!;
        const parent = flags['parent-pid'] === undefined ? undefined : Number(flags['parent-pid']);
        return executeJob(jobFile, { executor: manifest ? 'slurm' : 'local', redirect: true, ...(parent ? { parentPid: parent } : {}) });
      }
      default: {
        const subs = ['run', 'status', 'report'];
        const near = sub === undefined ? undefined : closestMatch(sub, subs);
        throw new UsageError(`voxnas experiment: expected a subcommand run, status or report, got ${sub === undefined ? 'nothing' : `'${sub}'`}${near ? ` (did you mean '${near}'?)` : ''}`);
      }
    }
  },
});
