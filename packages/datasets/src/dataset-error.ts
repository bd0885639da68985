import { VoxnasError } from '@voxnas/core';

/** One problem found while opening or validating a dataset, named by case id (or '<dataset>'). */
export interface DatasetProblem {
  readonly caseId: string;
  readonly problem: string;
}

/**
 * A dataset is malformed: missing files, unreadable cases, image/label grids that differ, labels
 * outside the declared set, bad `dataset.json` or `splits.json`. `problems` lists every finding.
 */
export class DatasetError extends VoxnasError {
  readonly problems: readonly DatasetProblem[];
  constructor(message: string, problems: readonly DatasetProblem[] = [], options?: { cause?: unknown }) {
    super('E_DATASET', message, options);
    this.problems = problems;
  }
}

/** Builds the error for a list of problems (first 20 in the message). */
export function datasetError(where: string, problems: readonly DatasetProblem[]): DatasetError {
  const lines = problems.slice(0, 20).map((p) => `  - ${p.caseId}: ${p.problem}`);
  if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more`);
  return new DatasetError(`${where}: ${problems.length} problem(s)\n${lines.join('\n')}`, problems);
}
