export { SearchConfigError } from './errors.js';
export { alphaStats, parameterFreeOperators, detectCollapse } from './diagnostics.js';
export type { EdgeStats, HealthWarning, CollapseOptions } from './diagnostics.js';
export { SearchTrainer } from './search-trainer.js';
export { SEARCH_MODES } from './search-mode.js';
export type {
  SearchMode,
  SearchTrainerOptions,
  SearchStepResult,
  ArchSnapshot,
  SearchFitOptions,
  SearchResult,
} from './search-trainer.js';
export { evaluateSearchQuality } from './search-quality.js';
export type { ScoredArchitecture, CorrelationSummary, SearchQualityReport, SearchQualityOptions } from './search-quality.js';
