import { VoxnasError } from '@voxnas/core';

/**
 * A config file, flag or override is invalid; the message names the field. `issues` lists every
 * problem found (one line each: field path, expected, got).
 */
export class ConfigError extends VoxnasError {
  readonly issues: readonly string[];
  constructor(message: string, options?: { cause?: unknown; issues?: readonly string[] }) {
    super('E_CONFIG', message, options);
    this.issues = options?.issues ?? [message];
  }
}

/** A command was called wrongly (unknown command or flag, missing argument). */
export class UsageError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}

/**
 * A plugin module an exported model or run needs (it registered operators the network uses) is
 * missing, fails to load, or is not the version / file content the model was exported with. The
 * message names the module, what it was recorded as, and the operators it provides.
 */
export class PluginError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PLUGIN', message, options);
  }
}
