import { InvalidArgumentError, Rng } from '@voxnas/core';
import { mapImageChannels } from './internal/images.js';
import type { Subject, Transform } from './subject.js';

/** Parameters of additive Gaussian noise: standard deviation and the seed of the noise field. */
export interface NoiseParams {
  std: number;
  seed: number;
}

function applyNoise(subject: Subject, { std, seed }: NoiseParams): Subject {
  // One noise stream per call, consumed in volume order then channel order, so replay is exact.
  const rng = new Rng(seed);
  return mapImageChannels(subject, (src, dst, off, n) => {
    for (let i = off; i < off + n; i++) dst[i] = src[i]! + std * rng.normal();
  });
}

const noiseOps = { name: 'noise', kind: 'intensity' as const, apply: applyNoise };

/**
 * Adds N(0, std²) noise to every image voxel. The field is generated from `seed`, so the recorded
 * params replay it exactly without the caller's RNG. Images only; output float32.
 *
 * @example
 * const t = noise({ std: 0.1, seed: 7 });
 */
export function noise(params: NoiseParams): Transform<NoiseParams> {
  if (!(params.std >= 0)) throw new InvalidArgumentError(`noise: std must be ≥ 0, got ${params.std}`);
  return { ...noiseOps, sample: () => ({ ...params }) };
}

/**
 * Random twin of `noise`: std uniform in `std` (default [0, 0.1]) and a fresh seed.
 *
 * @example
 * const t = randomNoise({ std: [0, 0.1], p: 0.15 });
 */
export function randomNoise(options: { std?: [number, number]; p?: number } = {}): Transform<NoiseParams> {
  const [lo, hi] = options.std ?? [0, 0.1];
  if (!(lo >= 0 && hi >= lo))
    throw new InvalidArgumentError(`randomNoise: std range [${lo}, ${hi}] must satisfy 0 ≤ lo ≤ hi`);
  return {
    ...noiseOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => ({ std: rng.uniform(lo, hi), seed: rng.seed32() }),
  };
}

/** @internal */
export const NOISE_OPS = noiseOps;
