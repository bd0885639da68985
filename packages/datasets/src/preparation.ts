// @voxnas/datasets/preparation: the browser-safe part of dataset planning — validate a plan (e.g. the
// copy in a model card) and prepare an input image the way the training cases were (reorient, crop,
// normalise, resample), so a prediction maps back onto the input grid. No Node built-in.
export { preprocessCase, preparationOf, prepareForNetwork } from './preprocess.js';
export type { PreparedCase, PreparationPlan, Preparation } from './preprocess.js';
export { parsePlan } from './parse-plan.js';
export { PlanError } from './plan-error.js';
export type { DatasetPlan, PlannedNormalization } from './plan.js';
