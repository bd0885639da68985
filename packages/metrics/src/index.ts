export { EmptyMaskError } from './errors.js';
export { distanceTransformEdt } from './distance-transform.js';
export type { DistanceTransformOptions, Shape3, Spacing3 } from './distance-transform.js';
export { extractSurface, surfaceDistances } from './surface.js';
export type { Connectivity, SurfaceOptions, SurfaceDistanceOptions, SurfaceDistances } from './surface.js';
export { METRIC_NAMES, computeMaskMetrics } from './mask-metrics.js';
export type {
  MetricName,
  MetricValues,
  EmptyCase,
  EmptyPolicy,
  ConfusionCounts,
  MetricOptions,
  MaskMetricsOptions,
  MaskMetrics,
} from './mask-metrics.js';
export { BRATS_REGIONS, evaluateSegmentation } from './evaluate-segmentation.js';
export type { Region, EvaluateOptions, ClassResult, SegmentationResult } from './evaluate-segmentation.js';
export { aggregateCases, summarize, casesToCsv, aggregateToCsv, toJson } from './aggregate.js';
export type { CaseResult, MetricSummary, AggregateResult } from './aggregate.js';
export { bootstrapCi } from './bootstrap.js';
export type { Statistic, BootstrapOptions, ConfidenceInterval } from './bootstrap.js';
export { wilcoxonSignedRank } from './wilcoxon.js';
export type { WilcoxonOptions, WilcoxonResult } from './wilcoxon.js';
export { holmAdjust } from './holm.js';
export { aggregateSeeds, compareMethods } from './compare-methods.js';
export { kendallTau, spearmanRho, rankCorrelationCi } from './rank-correlation.js';
export type { KendallResult, SpearmanResult, RankCorrelationCiOptions, RankCorrelationCi } from './rank-correlation.js';
export type { SeedAggregate, CompareOptions, Comparison } from './compare-methods.js';
export { LOSS_KINDS, createLosses } from './losses.js';
export type {
  LossKind,
  TfNamespace,
  LossLabels,
  Losses,
  SoftDiceOptions,
  CrossEntropyOptions,
  DiceCeOptions,
  FocalOptions,
} from './losses.js';
