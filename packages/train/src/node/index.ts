// Node-only part of @voxnas/train: the Trainer with checkpoints, run directories and logs, evaluation
// with files, predictions written as NIfTI.
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, hasCheckpoint, checkpointName } from './checkpoint.js';
export type { CheckpointableNetwork, CheckpointState, SaveCheckpointOptions, LoadCheckpointOptions } from './checkpoint.js';
export { Trainer } from './trainer.js';
export type {
  TrainableNetwork,
  ExtraState,
  TrainerOptions,
  StepResult,
  TrainerState,
  FitOptions,
} from './trainer.js';
export { RunLog } from './run-log.js';
export { openRunDir, hashFiles } from './run-dir.js';
export type { RunConfigFile, RunDir, OpenRunDirOptions } from './run-dir.js';
export { writePrediction, writeProbabilities } from './write-prediction.js';
export { evaluateCases, segmentationValidator } from './evaluate.js';
export type { EvaluationCase, EvaluationReport, ValidationCase, SegmentationValidatorOptions } from './evaluate.js';
