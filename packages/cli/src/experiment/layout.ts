import { basename, join } from 'node:path';

/**
 * Where everything of an experiment lives, relative to its directory — one place, so the planner,
 * the executors, `status` and `report` agree. Every path is a pure function of its arguments.
 *
 * ```
 * <exp>/experiment.json                      the resolved spec, its hash, the plan's notes
 * <exp>/data/<task>/source/                  the phantom or atlas task as generated (a directory task stays where it is)
 * <exp>/data/<task>/splits.json              the outer k-fold split
 * <exp>/data/<task>/fold-<f>/train/          dataset.json of fold f's training cases (what its searches and trainings see)
 * <exp>/data/<task>/fold-<f>/test/           imagesTs/, labelsTs/ (links to fold f's held-out cases), dataset.json
 * <exp>/data/<task>/search-cases/            protocol once: dataset.json of the cases searched on
 * <exp>/genotypes/<task>/<arm>-<r>.json      the random arms' genotypes
 * <exp>/jobs/<task>/fold-<f>/search/seed-<s>/            a search run (protocol per-fold)
 * <exp>/jobs/<task>/search/seed-<s>/                     the search run (protocol once)
 * <exp>/jobs/<task>/[fold-<f>/]search-quality/seed-<s>/  its search-quality study (spec searchQuality)
 * <exp>/jobs/<task>/fold-<f>/<arm>/seed-<s>/train/       a training run
 * <exp>/jobs/<task>/fold-<f>/<arm>/seed-<s>/eval/        its evaluation on fold f's held-out cases
 * <exp>/report/                              the aggregate job: report.md, .csv, .json, .html
 * <exp>/slurm/                               job script, array manifests, submissions, Slurm's own logs
 * ```
 */
export const layout = {
  specFile: (exp: string) => join(exp, 'experiment.json'),
  taskData: (exp: string, task: string) => join(exp, 'data', task),
  taskSource: (exp: string, task: string) => join(exp, 'data', task, 'source'),
  splits: (exp: string, task: string) => join(exp, 'data', task, 'splits.json'),
  foldTrain: (exp: string, task: string, fold: number) => join(exp, 'data', task, `fold-${fold}`, 'train'),
  foldTest: (exp: string, task: string, fold: number) => join(exp, 'data', task, `fold-${fold}`, 'test'),
  searchCases: (exp: string, task: string) => join(exp, 'data', task, 'search-cases'),
  randomGenotype: (exp: string, task: string, arm: string, r: number) => join(exp, 'genotypes', task, `${arm}-${r}.json`),
  foldSearch: (exp: string, task: string, fold: number, seed: number) => join(exp, 'jobs', task, `fold-${fold}`, 'search', `seed-${seed}`),
  onceSearch: (exp: string, task: string, seed: number) => join(exp, 'jobs', task, 'search', `seed-${seed}`),
  /** The search-quality study of the search run in `searchDir` (a sibling of its `search` directory). */
  searchQuality: (searchDir: string) => join(searchDir, '..', '..', 'search-quality', basename(searchDir)),
  train: (exp: string, task: string, fold: number, arm: string, seed: number) => join(exp, 'jobs', task, `fold-${fold}`, arm, `seed-${seed}`, 'train'),
  evaluate: (exp: string, task: string, fold: number, arm: string, seed: number) => join(exp, 'jobs', task, `fold-${fold}`, arm, `seed-${seed}`, 'eval'),
  report: (exp: string) => join(exp, 'report'),
  slurm: (exp: string) => join(exp, 'slurm'),
} as const;

/** Files an experiment job keeps in its directory next to the run's own files. */
export const JOB_FILES = {
  /** The job: what to run ({@link JobFile}), written by the planner. */
  job: 'job.json',
  /** The run config the job's command reads (`--config`). */
  config: 'job-config.json',
  /** What happened: state, attempts, exit code ({@link JobStatus}), written by the job. */
  status: 'job-status.json',
  /** Everything the job printed, every attempt appended. */
  log: 'job.log',
  /** A searched arm with `derive`: the genotype its job derives from the search's α (`voxnas derive`) and trains. */
  derivedGenotype: 'derived-genotype.json',
} as const;
