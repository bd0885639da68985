export { GenotypeError, SearchSpaceError } from './errors.js';
export {
  CELL_TYPES,
  DEFAULT_CANDIDATES,
  DEFAULT_MACRO,
  ZERO_OPERATOR,
  createSearchSpace,
  edgeLabel,
  edgesOf,
  macroLayout,
  nodeName,
  spatialMultiple,
} from './search-space.js';
export type {
  CellInstance,
  CellRole,
  CellType,
  EdgeSpec,
  MacroConfig,
  Resample,
  SearchSpace,
  SearchSpaceOptions,
} from './search-space.js';
export { SAMPLER_KINDS, createSampler, fullSampler, gumbelOneSampler, gumbelSampler, uniformSampler } from './sampler.js';
export type { SampleResult, Sampler, SamplerConfig, SamplerKind } from './sampler.js';
export { TEMPERATURE_SCHEDULE_KINDS, temperatureAt } from './temperature.js';
export type { TemperatureSchedule } from './temperature.js';
export { GENOTYPE_SCHEMA, parseGenotype, stringifyGenotype, validateGenotype } from './genotype.js';
export type { Genotype, ValidateGenotypeOptions } from './genotype.js';
export { DERIVE_OPERATORS, deriveGenotype } from './derive-genotype.js';
export type { AlphaValues, DeriveGenotypeOptions, DeriveOperators } from './derive-genotype.js';
export { diffGenotypes } from './diff-genotypes.js';
export type { GenotypeDiff } from './diff-genotypes.js';
export { sampleRandomGenotype } from './random-genotype.js';
export type { RandomGenotypeOptions } from './random-genotype.js';
export { renderGenotypeSvg } from './render-genotype.js';
export type { RenderGenotypeOptions } from './render-genotype.js';
export { CELL_RECOMPUTE_MODES } from './cell-network.js';
export type { CellRecompute } from './cell-network.js';
export { ALPHA_SHARING, Supernet } from './supernet.js';
export type { AlphaSharing, SupernetOptions, SupernetPhase } from './supernet.js';
export { ChildNetwork, buildChild } from './child.js';
export type { BuildChildOptions } from './child.js';
export { genotypeCost } from './genotype-cost.js';
export type { GenotypeCost } from './genotype-cost.js';
export { estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from './memory-estimate.js';
export type { ChildMemoryOptions, SearchMemoryEstimate, SearchMemoryOptions } from './memory-estimate.js';
export type { EdgeDecision } from './cell.js';
