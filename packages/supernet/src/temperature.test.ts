import { InvalidArgumentError } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { temperatureAt, type TemperatureSchedule } from './temperature.js';

describe('temperatureAt', () => {
  it.each<[TemperatureSchedule, number, number]>([
    [{ kind: 'constant', tau: 0.7 }, 0, 0.7],
    [{ kind: 'constant', tau: 0.7 }, 1000, 0.7],
    [{ kind: 'linear', from: 5, to: 1, steps: 8 }, 0, 5],
    [{ kind: 'linear', from: 5, to: 1, steps: 8 }, 2, 4],
    [{ kind: 'linear', from: 5, to: 1, steps: 8 }, 8, 1],
    [{ kind: 'linear', from: 5, to: 1, steps: 8 }, 50, 1],
    [{ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 0, 10],
    [{ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 50, 1],
    [{ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 25, Math.sqrt(10)],
    [{ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 100, 0.1],
    [{ kind: 'exponential', from: 10, to: 0.1, steps: 100 }, 101, 0.1],
  ])('%j at step %i = %d', (schedule, step, tau) => {
    expect(temperatureAt(schedule, step)).toBeCloseTo(tau, 12);
  });

  it('exponential decays by a constant ratio per step', () => {
    const s: TemperatureSchedule = { kind: 'exponential', from: 4, to: 0.5, steps: 30 };
    const ratios = Array.from({ length: 30 }, (_, i) => temperatureAt(s, i + 1) / temperatureAt(s, i));
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0]!, 12);
  });

  it.each<[TemperatureSchedule, number, string]>([
    [{ kind: 'constant', tau: 1 }, -1, 'temperatureAt: step must be a non-negative integer, got -1'],
    [{ kind: 'constant', tau: 0 }, 0, 'temperatureAt: tau must be a finite number > 0, got 0'],
    [{ kind: 'linear', from: 1, to: 0.1, steps: 0 }, 0, 'temperatureAt: steps must be a positive integer, got 0'],
    [{ kind: 'cosine' } as never, 0, `temperatureAt: kind is "cosine", expected 'constant', 'linear' or 'exponential'`],
  ])('%j step %i → InvalidArgumentError', (schedule, step, message) => {
    expect(() => temperatureAt(schedule, step)).toThrow(InvalidArgumentError);
    expect(() => temperatureAt(schedule, step)).toThrow(message);
  });
});
