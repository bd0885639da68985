import { VoxnasError } from '@voxnas/core';

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

/** A geometric argument (affine, spacing, orientation code) is invalid. */
export class GeometryError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_GEOMETRY', message, options);
  }
}

