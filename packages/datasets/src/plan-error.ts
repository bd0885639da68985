import { VoxnasError } from '@voxnas/core';

/** A `plan.json` (or a plan inside a run or model card) is malformed. Names the source and the field. */
export class PlanError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PLAN', message, options);
  }
}
