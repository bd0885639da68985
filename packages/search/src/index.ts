export { SearchConfigError } from './errors.js';
export { alphaStats, parameterFreeOperators, detectCollapse } from './diagnostics.js';
export type { EdgeStats, HealthWarning, CollapseOptions } from './diagnostics.js';
