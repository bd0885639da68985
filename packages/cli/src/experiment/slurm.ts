import { execFile } from 'node:child_process';
import { SlurmError } from './errors.js';

// The Slurm client commands the executor uses, each run without a shell (argv arrays), with a
// timeout, and read by field (never by splitting a line that may hold a path with spaces).

/** Seconds a Slurm command may take before it counts as "not answering". */
export const SLURM_COMMAND_TIMEOUT_S = 60;

/** Output of a Slurm command. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a Slurm client command (argv, no shell) and returns its output; a missing command, a non-zero
 * exit or a timeout raise {@link SlurmError} naming the command line and what it printed.
 *
 * @example
 * const { stdout } = await slurmCommand('sinfo', ['-h', '-o', '%P']);
 */
export function slurmCommand(command: string, args: readonly string[], options: { timeoutS?: number } = {}): Promise<CommandOutput> {
  const timeoutS = options.timeoutS ?? SLURM_COMMAND_TIMEOUT_S;
  const shown = `${command} ${args.map((a) => (/^[\w./:=%,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
  return new Promise((done, fail) => {
    execFile(command, [...args], { timeout: timeoutS * 1000, killSignal: 'SIGKILL', maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return done({ stdout, stderr });
      const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      if (e.code === 'ENOENT') {
        return fail(new SlurmError(`${shown}: '${command}' is not on PATH — is this a Slurm submit host? (Debian: apt-get install slurm-client; a test cluster: scripts/slurm/cluster.sh start)`, { cause: error }));
      }
      if (e.killed) return fail(new SlurmError(`${shown}: no answer within ${timeoutS} s (is slurmctld reachable?)`, { cause: error }));
      const text = `${stderr}${stdout}`.trim().split('\n').slice(-6).join(' | ');
      fail(new SlurmError(`${shown} failed (exit ${typeof e.code === 'number' ? e.code : '?'}): ${text || 'no output'}`, { cause: error }));
    });
  });
}

/** The cluster's partitions (`sinfo`), the default one first. */
export async function slurmPartitions(): Promise<{ partitions: string[]; defaultPartition: string | null }> {
  const { stdout } = await slurmCommand('sinfo', ['-h', '-o', '%P']);
  const names = stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const def = names.find((n) => n.endsWith('*'));
  const partitions = [...new Set(names.map((n) => n.replace(/\*$/, '')))];
  return { partitions, defaultPartition: def ? def.replace(/\*$/, '') : null };
}

/**
 * Submits with `sbatch --parsable` and returns the job id (the array's id for an array).
 *
 * @example
 * const id = await sbatch(['--array=0-2', '--parsable', 'job.sh', 'manifest.json']);
 */
export async function sbatch(args: readonly string[]): Promise<string> {
  const { stdout } = await slurmCommand('sbatch', args.includes('--parsable') ? args : ['--parsable', ...args]);
  const id = stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch printed '${stdout.trim()}', expected a job id`);
  return id;
}

/** A Slurm job state of one array task. */
export interface TaskState {
  readonly state: string;
  readonly reason: string;
}

/** Slurm states after which a job never runs again. */
export const TERMINAL_FAILURES = new Set(['FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT']);

/** Expands a task-id list as squeue prints it (`3`, `0-1,3`, `[0-2]`, `0-9%2`) into ids. */
export function expandTaskIds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.replace(/^\[|\]$/g, '').replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = a; i <= b; i += step) out.push(i);
  }
  return out;
}

/**
 * The state of every task of the given arrays that Slurm still knows (`squeue -t all`, which lists
 * finished jobs until `MinJobAge`), keyed `<array id>_<task id>` (a not-yet-split pending array yields
 * one entry per task).
 *
 * @example
 * const states = await arrayStates(['30', '31']); // Map { '30_0' => { state: 'COMPLETED', reason: 'None' }, … }
 */
export async function arrayStates(arrayIds: readonly string[]): Promise<Map<string, TaskState>> {
  const out = new Map<string, TaskState>();
  if (arrayIds.length === 0) return out;
  const wanted = new Set(arrayIds);
  const { stdout } = await slurmCommand('squeue', ['--me', '-h', '-t', 'all', '-o', '%F|%K|%T|%r']);
  for (const line of stdout.split('\n')) {
    const [array, tasks, state, reason] = line.trim().split('|');
    if (!array || !wanted.has(array) || !state) continue;
    for (const t of tasks === 'N/A' || tasks === undefined ? [0] : expandTaskIds(tasks)) out.set(`${array}_${t}`, { state, reason: reason ?? '' });
  }
  return out;
}
