import type { SearchMode } from './search-trainer.js';

/**
 * The search modes of {@link SearchMode}: `bilevel` (α updated on held-out cases, the paper's) and
 * `joint` (α and weights on the same cases). Configs offer these.
 *
 * @example
 * SEARCH_MODES; // ['bilevel', 'joint']
 */
export const SEARCH_MODES = ['bilevel', 'joint'] as const satisfies readonly SearchMode[];
