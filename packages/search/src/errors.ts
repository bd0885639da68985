import { VoxnasError } from '@voxnas/core';

/** The search was configured or resumed inconsistently (mismatched run directory, bad split, …). */
export class SearchConfigError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SEARCH_CONFIG', message, options);
  }
}
