import { TrainConfigError } from './errors.js';

/**
 * A learning-rate schedule as plain JSON data, so it can sit in `config.json` and needs no state in a
 * checkpoint: the rate is a pure function of the step number ({@link learningRateAt}).
 *
 * - `constant`: `lr` at every step.
 * - `poly`: `lr · (1 − t)^power` (nnU-Net, PyTorch `PolynomialLR`), `power` defaults to 0.9.
 * - `cosine`: `minLr + (lr − minLr) · (1 + cos πt) / 2` (PyTorch `CosineAnnealingLR`).
 *
 * `t = (step − warmupSteps) / (totalSteps − warmupSteps)`, clamped to [0, 1]. With `warmupSteps = w > 0`
 * the rate ramps linearly as `lr · (step + 1) / w` for steps `0 … w − 1`, then the decay starts.
 */
export type Schedule =
  | { kind: 'constant'; lr: number; warmupSteps?: number }
  | { kind: 'poly'; lr: number; totalSteps: number; power?: number; warmupSteps?: number }
  | { kind: 'cosine'; lr: number; totalSteps: number; minLr?: number; warmupSteps?: number };

/**
 * The learning-rate schedule kinds of {@link Schedule} (configs offer these).
 *
 * @example
 * SCHEDULE_KINDS; // ['poly', 'cosine', 'constant']
 */
export const SCHEDULE_KINDS = ['poly', 'cosine', 'constant'] as const satisfies ReadonlyArray<Schedule['kind']>;

/**
 * Checks a schedule and throws {@link TrainConfigError} naming the bad field.
 *
 * @example
 * validateSchedule({ kind: 'poly', lr: 0.01, totalSteps: 1000 });
 */
export function validateSchedule(s: Schedule): void {
  const fail = (what: string) => {
    throw new TrainConfigError(`schedule.${what}`);
  };
  if (s === null || typeof s !== 'object') throw new TrainConfigError(`schedule: expected an object, got ${String(s)}`);
  if (s.kind !== 'constant' && s.kind !== 'poly' && s.kind !== 'cosine') {
    fail(`kind is '${String((s as { kind: unknown }).kind)}', expected 'constant', 'poly' or 'cosine'`);
  }
  if (!(Number.isFinite(s.lr) && s.lr >= 0)) fail(`lr is ${s.lr}, expected a finite number ≥ 0`);
  const w = s.warmupSteps ?? 0;
  if (!(Number.isInteger(w) && w >= 0)) fail(`warmupSteps is ${w}, expected an integer ≥ 0`);
  if (s.kind !== 'constant') {
    if (!(Number.isInteger(s.totalSteps) && s.totalSteps > w)) {
      fail(`totalSteps is ${s.totalSteps}, expected an integer > warmupSteps (${w})`);
    }
  }
  if (s.kind === 'poly' && s.power !== undefined && !(Number.isFinite(s.power) && s.power > 0)) {
    fail(`power is ${s.power}, expected a finite number > 0`);
  }
  if (s.kind === 'cosine' && s.minLr !== undefined && !(Number.isFinite(s.minLr) && s.minLr >= 0 && s.minLr <= s.lr)) {
    fail(`minLr is ${s.minLr}, expected a number in [0, lr=${s.lr}]`);
  }
}

/**
 * The learning rate at `step` (0-based: the rate used by the `step`-th optimiser update).
 * A pure function: resuming at step k needs only k.
 *
 * @example
 * learningRateAt({ kind: 'cosine', lr: 1e-3, totalSteps: 100, warmupSteps: 10 }, 0); // 1e-4
 * learningRateAt({ kind: 'poly', lr: 1e-2, totalSteps: 100 }, 50); // 1e-2 · 0.5^0.9
 */
export function learningRateAt(s: Schedule, step: number): number {
  validateSchedule(s);
  if (!(Number.isInteger(step) && step >= 0)) {
    throw new TrainConfigError(`learningRateAt: step is ${step}, expected an integer ≥ 0`);
  }
  const w = s.warmupSteps ?? 0;
  if (step < w) return (s.lr * (step + 1)) / w;
  if (s.kind === 'constant') return s.lr;
  const t = Math.min(1, (step - w) / (s.totalSteps - w));
  if (s.kind === 'poly') return s.lr * Math.pow(1 - t, s.power ?? 0.9);
  const minLr = s.minLr ?? 0;
  return minLr + ((s.lr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
}
