// @voxnas/train: browser-safe training pieces (optimisers, schedules, gradient steps, training on one
// case in memory, sliding-window inference, prediction on the input grid). The Trainer, checkpoints,
// run directories, logs and file outputs are in '@voxnas/train/node'.
export { CheckpointError, TrainConfigError, NonFiniteLossError } from './errors.js';
export { SCHEDULE_KINDS, learningRateAt, validateSchedule } from './schedule.js';
export type { Schedule } from './schedule.js';
export { OPTIMIZER_KINDS, Optimizer } from './optimizer.js';
export type { OptimizerSpec, OptimizerParam, OptimizerState } from './optimizer.js';
export { gradientStep } from './gradient-step.js';
export type { GradientStepOptions, GradientStepResult } from './gradient-step.js';
export type { TrainBatch, BatchSource, LossFn } from './batch.js';
export { slidingWindowInference, slidingWindowInferenceHost } from './sliding-window.js';
export type { PredictFn, HostPredictFn, Size3, SlidingWindowOptions, SlidingWindowResult } from './sliding-window.js';
export { mapLabelsToGrid, mapProbabilitiesToGrid, checkSameGrid, predictCase, predictCaseWithProbabilities, predictCaseWithProbabilitiesHost } from './prediction.js';
export type { Grid, PredictCaseOptions, CasePrediction } from './prediction.js';
export { caseTensors, readArchitecture, trainSteps, exportWeights } from './train-steps.js';
export type { CaseTensors, StepReport, TrainStepsOptions } from './train-steps.js';
export { loaderSource } from './loader-source.js';
export type { LoaderBatch, BatchLoader, LoaderSourceOptions, LoaderSource } from './loader-source.js';
