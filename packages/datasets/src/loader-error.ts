import { VoxnasError } from '@voxnas/core';

/** The prefetching loader failed: a worker crashed, a batch could not be built, or it was used after close. */
export class LoaderError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_LOADER', message, options);
  }
}
