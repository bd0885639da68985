import { InvalidArgumentError } from '@voxnas/core';
import { channelRange, mapImageChannels } from './internal/images.js';
import type { Subject, Transform } from './subject.js';

/** Parameters of a gamma transform. */
export interface GammaParams {
  gamma: number;
}

function applyGamma(subject: Subject, { gamma }: GammaParams): Subject {
  return mapImageChannels(subject, (src, dst, off, n) => {
    const [lo, hi] = channelRange(src, off, n);
    const range = hi - lo;
    for (let i = off; i < off + n; i++)
      dst[i] = range > 0 ? Math.pow((src[i]! - lo) / range, gamma) * range + lo : src[i]!;
  });
}

const gammaOps = { name: 'gamma', kind: 'intensity' as const, apply: applyGamma };

/**
 * Gamma on each image channel rescaled to [0, 1] by its own min/max, then mapped back:
 * `x' = ((x − min)/(max − min))^γ · (max − min) + min`. Images only; output float32.
 *
 * @example
 * const t = gamma({ gamma: 0.8 });
 */
export function gamma(params: GammaParams): Transform<GammaParams> {
  if (!(params.gamma > 0)) throw new InvalidArgumentError(`gamma: gamma must be > 0, got ${params.gamma}`);
  return { ...gammaOps, sample: () => ({ gamma: params.gamma }) };
}

/**
 * Random twin of `gamma`: γ = exp(uniform(log lo, log hi)), default range [0.7, 1.5].
 *
 * @example
 * const t = randomGamma({ range: [0.7, 1.5], p: 0.3 });
 */
export function randomGamma(options: { range?: [number, number]; p?: number } = {}): Transform<GammaParams> {
  const [lo, hi] = options.range ?? [0.7, 1.5];
  if (!(lo > 0 && hi >= lo))
    throw new InvalidArgumentError(`randomGamma: range [${lo}, ${hi}] must satisfy 0 < lo ≤ hi`);
  return {
    ...gammaOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => ({ gamma: Math.exp(rng.uniform(Math.log(lo), Math.log(hi))) }),
  };
}

/** @internal */
export const GAMMA_OPS = gammaOps;
