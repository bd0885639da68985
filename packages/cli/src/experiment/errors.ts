import { VoxnasError } from '@voxnas/core';

/**
 * An experiment spec is invalid, or names something that does not exist (a dataset, a genotype file,
 * a task): raised before any job starts. `issues` lists every problem, one line each, naming the field.
 */
export class ExperimentSpecError extends VoxnasError {
  readonly issues: readonly string[];
  constructor(message: string, options?: { cause?: unknown; issues?: readonly string[] }) {
    super('E_EXPERIMENT_SPEC', message, options);
    this.issues = options?.issues ?? [message];
  }
}

/**
 * The spec changed after some of its jobs ran: `jobs` names them (their recorded spec hash differs).
 * `voxnas experiment run --force` redoes them.
 */
export class SpecChangedError extends VoxnasError {
  readonly jobs: readonly string[];
  constructor(message: string, options: { jobs: readonly string[]; cause?: unknown }) {
    super('E_SPEC_CHANGED', message, options);
    this.jobs = options.jobs;
  }
}

/** A Slurm command failed or Slurm is not reachable; the message names the command and its output. */
export class SlurmError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SLURM', message, options);
  }
}

/** A job file, manifest or status marker of an experiment is missing or malformed. */
export class ExperimentStateError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_EXPERIMENT_STATE', message, options);
  }
}
