import { VoxnasError } from '@voxnas/core';

/**
 * `getOperator` / `buildOperator` got a name that is not registered. The message names the closest
 * registered name and lists every known name.
 *
 * @example
 * try { getOperator('conv-3x3') } catch (e) { if (e instanceof UnknownOperatorError) console.log(e.closest) }
 */
export class UnknownOperatorError extends VoxnasError {
  readonly operator: string;
  readonly closest: string | undefined;
  readonly known: readonly string[];
  constructor(operator: string, known: readonly string[], closest: string | undefined) {
    super(
      'E_UNKNOWN_OPERATOR',
      `unknown operator "${operator}"` +
        (closest === undefined ? '' : `; did you mean "${closest}"?`) +
        ` Known operators: ${known.join(', ')}`,
    );
    this.operator = operator;
    this.closest = closest;
    this.known = known;
  }
}

/** `registerOperator` got a name that is already registered, or a spec that is malformed. */
export class OperatorDefinitionError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_OPERATOR_DEFINITION', message, options);
  }
}

/**
 * An operator, module or primitive was used with inputs it does not accept: wrong rank, wrong channel
 * count, unsupported stride, or an input smaller than the kernel. The message names the operator.
 */
export class OperatorInputError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_OPERATOR_INPUT', message, options);
  }
}

/** A weights manifest or binary does not match the module it is loaded into. */
export class WeightsFormatError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_WEIGHTS_FORMAT', message, options);
  }
}

/** `initBackend` could not set the backend requested by `VOXNAS_BACKEND` (or `options.backend`). */
export class BackendError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BACKEND', message, options);
  }
}
