import { VoxnasError } from '@voxnas/core';

/**
 * A metric is undefined because the prediction and/or the reference mask is empty, and the empty
 * policy of the call says `'error'` (see {@link EmptyPolicy}).
 *
 * @example
 * try { evaluateSegmentation(p, r, { empty: { bothEmpty: 'error' } }) }
 * catch (e) { if (e instanceof EmptyMaskError) console.log(e.code) } // 'E_EMPTY_MASK'
 */
export class EmptyMaskError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_EMPTY_MASK', message, options);
  }
}
