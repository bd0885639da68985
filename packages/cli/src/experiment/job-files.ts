import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWrite } from '@voxnas/core/node';
import { ExperimentStateError } from './errors.js';
import { JOB_FILES } from './layout.js';
import type { PlannedJob } from './graph.js';

// The files through which the runner and a job talk — across processes and, under Slurm, across
// machines — each read back through a zod parser, never a cast (STYLE: data crossing a boundary).

const argv = z.array(z.string());

/** `job.json`: everything a job needs to run, written by the planner. */
export const JOB_FILE_SCHEMA = z.strictObject({
  schema: z.literal('voxnas/experiment-job@1'),
  id: z.string().min(1),
  kind: z.string().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The experiment directory. */
  experiment: z.string().min(1),
  dir: z.string().min(1),
  steps: z.array(z.strictObject({ argv, resume: argv.optional() })).min(1),
  /** Jobs that must be done first (checked again by the job itself). */
  deps: z.array(z.strictObject({ id: z.string(), dir: z.string(), hash: z.string() })),
  totalSteps: z.int().nullable(),
  /** Threads of the job's native kernels (OMP_NUM_THREADS), from the stage's `cpus`. */
  threads: z.int().min(1),
  meta: z.record(z.string(), z.unknown()),
});
/** A parsed `job.json`. */
export type JobFile = z.output<typeof JOB_FILE_SCHEMA>;

const attempt = z.strictObject({
  startedAt: z.string(),
  lastSeen: z.string(),
  endedAt: z.string().nullable(),
  seconds: z.number().min(0),
  outcome: z.enum(['running', 'done', 'failed', 'interrupted']),
  exitCode: z.int().nullable(),
  host: z.string(),
  executor: z.enum(['local', 'slurm']),
  slurm: z
    .strictObject({ jobId: z.string(), arrayJobId: z.string().nullable(), arrayTaskId: z.string().nullable(), restartCount: z.int() })
    .nullable(),
});

/** `job-status.json`: what happened to a job, written by the job (every attempt). */
export const JOB_STATUS_SCHEMA = z.strictObject({
  schema: z.literal('voxnas/experiment-job-status@1'),
  id: z.string(),
  hash: z.string(),
  state: z.enum(['running', 'done', 'failed', 'interrupted']),
  exitCode: z.int().nullable(),
  /** Why it failed (the error line), or null. */
  error: z.string().nullable(),
  /** The backend the job ran on (`voxnas backend: …` summary), or null before it was chosen. */
  backend: z.string().nullable(),
  /** Wall-clock seconds over every attempt (an interrupted attempt counts until it was last seen). */
  deviceSeconds: z.number().min(0),
  attempts: z.array(attempt),
});
/** A parsed `job-status.json`. */
export type JobStatus = z.output<typeof JOB_STATUS_SCHEMA>;
/** One attempt of a job. */
export type JobAttempt = JobStatus['attempts'][number];

/** A Slurm array's manifest: array task id → job file. */
export const ARRAY_MANIFEST_SCHEMA = z.strictObject({
  schema: z.literal('voxnas/experiment-array@1'),
  stage: z.string(),
  jobs: z.record(z.string().regex(/^\d+$/), z.string().min(1)),
});
/** A parsed array manifest. */
export type ArrayManifest = z.output<typeof ARRAY_MANIFEST_SCHEMA>;

async function readParsed<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ExperimentStateError(`${what} ${path}: cannot read it (${(cause as Error).message})`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ExperimentStateError(`${what} ${path}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new ExperimentStateError(`${what} ${path}: field '${first.path.join('.')}' ${first.message}`);
  }
  return r.data;
}

/** Reads and validates a `job.json`. */
export function readJobFile(path: string): Promise<JobFile> {
  return readParsed(path, JOB_FILE_SCHEMA, 'job file');
}

/** Reads and validates an array manifest. */
export function readArrayManifest(path: string): Promise<ArrayManifest> {
  return readParsed(path, ARRAY_MANIFEST_SCHEMA, 'array manifest');
}

/** The status of the job in `dir`, or null when it never started (a corrupt file raises). */
export async function readJobStatus(dir: string): Promise<JobStatus | null> {
  const path = join(dir, JOB_FILES.status);
  if (!existsSync(path)) return null;
  return readParsed(path, JOB_STATUS_SCHEMA, 'job status');
}

/** Writes a job's status atomically. */
export async function writeJobStatus(dir: string, status: JobStatus): Promise<void> {
  await atomicWrite(join(dir, JOB_FILES.status), `${JSON.stringify(status, null, 2)}\n`);
}

/** The `job.json` of a planned job. */
export function jobFileOf(job: PlannedJob, o: { expDir: string; deps: readonly PlannedJob[]; threads: number }): JobFile {
  return {
    schema: 'voxnas/experiment-job@1',
    id: job.id,
    kind: job.kind,
    hash: job.hash,
    experiment: o.expDir,
    dir: job.dir,
    steps: job.steps.map((s) => ({ argv: [...s.argv], ...(s.resume ? { resume: [...s.resume] } : {}) })),
    deps: o.deps.map((d) => ({ id: d.id, dir: d.dir, hash: d.hash })),
    totalSteps: job.totalSteps,
    threads: o.threads,
    meta: { ...job.meta },
  };
}

/** True when the job in `dir` finished with this hash. */
export async function isDone(dir: string, hash: string): Promise<boolean> {
  const s = await readJobStatus(dir).catch(() => null);
  return s !== null && s.state === 'done' && s.hash === hash;
}
