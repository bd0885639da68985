export { CheckpointError, TrainConfigError, NonFiniteLossError } from './errors.js';
export { learningRateAt, validateSchedule } from './schedule.js';
export type { Schedule } from './schedule.js';
export { Optimizer } from './optimizer.js';
export type { OptimizerSpec, OptimizerParam, OptimizerState } from './optimizer.js';
export { gradientStep } from './gradient-step.js';
export type { GradientStepOptions, GradientStepResult } from './gradient-step.js';
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, hasCheckpoint, checkpointName } from './checkpoint.js';
export type {
  CheckpointableNetwork,
  CheckpointState,
  SaveCheckpointOptions,
  LoadCheckpointOptions,
} from './checkpoint.js';
export { Trainer } from './trainer.js';
export type {
  TrainableNetwork,
  TrainBatch,
  BatchSource,
  LossFn,
  ExtraState,
  TrainerOptions,
  StepResult,
  TrainerState,
  FitOptions,
} from './trainer.js';
export { RunLog } from './run-log.js';
export { slidingWindowInference, windowStarts, gaussianImportanceMap } from './sliding-window.js';
export type { PredictFn, Size3, SlidingWindowOptions, SlidingWindowResult } from './sliding-window.js';
export { mapLabelsToGrid, checkSameGrid, writePrediction, predictCase } from './prediction.js';
export type { Grid, PredictCaseOptions } from './prediction.js';
export { openRunDir, hashFiles } from './run-dir.js';
export type { RunConfigFile, RunDir, OpenRunDirOptions } from './run-dir.js';
export { loaderSource } from './loader-source.js';
export type { LoaderBatch, BatchLoader, LoaderSourceOptions, LoaderSource } from './loader-source.js';
export { evaluateCases, segmentationValidator } from './evaluate.js';
export type { EvaluationCase, EvaluationReport, ValidationCase, SegmentationValidatorOptions } from './evaluate.js';
