import { InvalidArgumentError } from '@voxnas/core';

/**
 * The kinds of {@link TemperatureSchedule} (configs offer these).
 *
 * @example
 * TEMPERATURE_SCHEDULE_KINDS; // ['constant', 'linear', 'exponential']
 */
export const TEMPERATURE_SCHEDULE_KINDS = ['constant', 'linear', 'exponential'] as const;

/**
 * A temperature schedule τ(step) as plain data:
 * - `constant`: τ everywhere;
 * - `linear`: from `from` at step 0 to `to` at `steps`, then held;
 * - `exponential`: `from · (to / from)^(step / steps)` (geometric, as GDAS's 10 → 0.1), then held.
 */
export type TemperatureSchedule =
  | { readonly kind: 'constant'; readonly tau: number }
  | { readonly kind: 'linear'; readonly from: number; readonly to: number; readonly steps: number }
  | { readonly kind: 'exponential'; readonly from: number; readonly to: number; readonly steps: number };

function positive(v: number, name: string): void {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`temperatureAt: ${name} must be a finite number > 0, got ${String(v)}`);
  }
}

/**
 * τ at `step` (a pure function: no state, so a resumed search gets the same τ).
 *
 * @throws InvalidArgumentError for a negative or fractional step, a non-positive τ or an unknown kind.
 * @example
 * temperatureAt({ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 50); // 1
 */
export function temperatureAt(schedule: TemperatureSchedule, step: number): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new InvalidArgumentError(`temperatureAt: step must be a non-negative integer, got ${step}`);
  }
  switch (schedule.kind) {
    case 'constant':
      positive(schedule.tau, 'tau');
      return schedule.tau;
    case 'linear':
    case 'exponential': {
      positive(schedule.from, 'from');
      positive(schedule.to, 'to');
      if (!Number.isInteger(schedule.steps) || schedule.steps < 1) {
        throw new InvalidArgumentError(`temperatureAt: steps must be a positive integer, got ${schedule.steps}`);
      }
      const t = Math.min(step / schedule.steps, 1);
      return schedule.kind === 'linear'
        ? schedule.from + (schedule.to - schedule.from) * t
        : schedule.from * (schedule.to / schedule.from) ** t;
    }
    default:
      throw new InvalidArgumentError(
        `temperatureAt: kind is ${JSON.stringify((schedule as { kind: unknown }).kind)}, expected 'constant', 'linear' or 'exponential'`,
      );
  }
}
