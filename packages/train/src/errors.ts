import { VoxnasError } from '@voxnas/core';

/** A checkpoint directory is missing, incomplete, or does not match the model/optimiser it is loaded into. */
export class CheckpointError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CHECKPOINT', message, options);
  }
}

/** A training option (schedule, optimiser, window size, …) is outside its documented domain. */
export class TrainConfigError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_TRAIN_CONFIG', message, options);
  }
}

/** Training produced a non-finite loss or gradient. */
export class NonFiniteLossError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NON_FINITE', message, options);
  }
}
