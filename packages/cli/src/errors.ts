import { VoxnasError } from '@voxnas/core';

/** A config file, flag or override is invalid; the message names the field. */
export class ConfigError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONFIG', message, options);
  }
}

/** A command was called wrongly (unknown command or flag, missing argument). */
export class UsageError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}
