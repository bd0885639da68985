/**
 * Base class of every error voxnas throws on purpose. `code` is stable across releases, so callers can
 * branch on it; `name` is the subclass name. Messages say what and where, then expected versus got,
 * then a hint (see docs/conventions.md "Errors").
 *
 * @example
 * try { await readNifti('x.nii') } catch (e) { if (e instanceof VoxnasError) console.log(e.code) }
 */
export class VoxnasError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A function argument is out of its documented domain.
 *
 * @example
 * throw new InvalidArgumentError(`Rng.int: expected integers lo < hi, got lo=3 hi=1`);
 */
export class InvalidArgumentError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INVALID_ARGUMENT', message, options);
  }
}

/**
 * Arrays, shapes or grids that must agree do not.
 *
 * @example
 * throw new ShapeMismatchError('add: a is [2, 3], b is [3, 2]');
 */
export class ShapeMismatchError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SHAPE_MISMATCH', message, options);
  }
}

/**
 * Data read back across a boundary (a file, a worker message, a cluster job's output) does not have
 * the documented form. `source` names where it came from (a path, usually); `issues` lists every
 * problem found, each as `<field path>: <what was expected, what was found>`.
 *
 * @example
 * throw new FormatError('checkpoints/latest/state.json', ['step: expected an integer ≥ 0, got -1']);
 */
export class FormatError extends VoxnasError {
  readonly source: string;
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], options?: { cause?: unknown; what?: string }) {
    super(
      'E_FORMAT',
      `${source}: ${options?.what ?? 'not in the expected format'}: ${issues.length === 1 ? issues[0] : `\n  ${issues.join('\n  ')}`}`,
      options,
    );
    this.source = source;
    this.issues = issues;
  }
}
