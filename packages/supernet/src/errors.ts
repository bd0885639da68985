import { VoxnasError } from '@voxnas/core';

/**
 * A genotype (JSON) is malformed: wrong schema, a missing or extra field, an unknown operator or an
 * operator that is not a candidate of its edge. `field` is the JSON path of the offending value
 * (`choices["reduction.in0->n1"]`), `expected` and `got` describe the mismatch.
 *
 * @example
 * try { validateGenotype(json) } catch (e) { if (e instanceof GenotypeError) console.log(e.field) }
 */
export class GenotypeError extends VoxnasError {
  readonly field: string;
  readonly expected: string;
  readonly got: string;
  constructor(
    where: string,
    detail: { field: string; expected: string; got: string; hint?: string },
    options?: { cause?: unknown },
  ) {
    super(
      'E_GENOTYPE',
      `${where}: ${detail.field} is ${detail.got}, expected ${detail.expected}${detail.hint ? ` (${detail.hint})` : ''}`,
      options,
    );
    this.field = detail.field;
    this.expected = detail.expected;
    this.got = detail.got;
  }
}

/**
 * A search-space configuration is invalid (levels, channels, node count, candidate lists).
 *
 * @example
 * try { createSearchSpace({ levels: 1 }) } catch (e) { if (e instanceof SearchSpaceError) console.log(e.code) } // E_SEARCH_SPACE
 */
export class SearchSpaceError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SEARCH_SPACE', message, options);
  }
}
