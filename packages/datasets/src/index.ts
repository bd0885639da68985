// @voxnas/datasets (Node): datasets on disk, splits, the synthetic phantom, atlas tasks and the patch loader.
export { openDataset, checkCase } from './dataset.js';
export type { Dataset, LoadedCase, CaseFileDigest, OpenDatasetOptions } from './dataset.js';
export { createFingerprint, fingerprintDataset } from './fingerprint.js';
export type {
  CaseFingerprint,
  ChannelFingerprint,
  ClassFingerprint,
  DatasetFingerprint,
  FingerprintAccumulator,
  FingerprintOptions,
} from './fingerprint.js';
export { planDataset, targetSpacing, separateAxis, PLACEHOLDER_MEMORY } from './plan.js';
export type { DatasetPlan, MemoryModel, PlanDatasetOptions, PlannedNormalization } from './plan.js';
export { parsePlan } from './parse-plan.js';
export { PlanError } from './plan-error.js';
export { preprocessCase, preparationOf, prepareForNetwork } from './preprocess.js';
export type { PreparedCase, PreparationPlan, Preparation } from './preprocess.js';
export type { CaseFiles, DatasetDescription } from './layouts.js';
export { DatasetError } from './dataset-error.js';
export type { DatasetProblem } from './dataset-error.js';
export { createSplits, writeSplits, readSplits } from './splits.js';
export type { Splits } from './splits.js';
export { generatePhantomCase } from './phantom-case.js';
export { generatePhantomDataset } from './phantom.js';
export type { PhantomOptions } from './phantom-case.js';
export type { PhantomDatasetOptions } from './phantom.js';
export { generatePlantedCase, generatePlantedDataset, PLANTED_FAMILIES, PLANTED_LABELS } from './planted.js';
export type { PlantedTask, PlantedCaseOptions, PlantedDatasetOptions } from './planted.js';
export { createLoader } from './loader.js';
export type { Loader, LoaderOptions } from './loader.js';
export type { Batch, BatchPlan, SamplerSpec, TransformSpec } from './batch-builder.js';
export { LoaderError } from './loader-error.js';
export { buildAtlasTask, HUMAN_DEEP_GREY, MACAQUE_BASAL_GANGLIA, MRICRON_TEMPLATES } from './atlas.js';
export type { AtlasClass, AtlasTaskSpec, AtlasTaskReport } from './atlas.js';
