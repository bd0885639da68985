/**
 * Base class of every error voxnas throws on purpose. `code` is stable across releases, so callers can
 * branch on it; `name` is the subclass name.
 *
 * @example
 * try { await readNifti('x.nii') } catch (e) { if (e instanceof VoxnasError) console.log(e.code) }
 */
export class VoxnasError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A NIfTI file or byte buffer is malformed, truncated or unsupported. The message names the file and
 * the problem (expected vs got); `file` holds the full path when the source was a path.
 */
export class NiftiFormatError extends VoxnasError {
  readonly file: string | undefined;
  constructor(message: string, options?: { cause?: unknown; file?: string }) {
    super('E_NIFTI_FORMAT', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.file = options?.file;
  }
}

/** Arrays, shapes or grids that must agree do not. */
export class ShapeMismatchError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SHAPE_MISMATCH', message, options);
  }
}

/** A geometric argument (affine, spacing, orientation code) is invalid. */
export class GeometryError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_GEOMETRY', message, options);
  }
}

/** A function argument is out of its documented domain. */
export class InvalidArgumentError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INVALID_ARGUMENT', message, options);
  }
}
