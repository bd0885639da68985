import { InvalidArgumentError } from '@voxnas/core';
import { channelMean, mapImageChannels } from './internal/images.js';
import type { Subject, Transform } from './subject.js';

/** Parameters of brightness/contrast: a multiplier, then a contrast factor about the channel mean. */
export interface BrightnessContrastParams {
  multiplier: number;
  contrast: number;
}

function applyBC(subject: Subject, { multiplier, contrast }: BrightnessContrastParams): Subject {
  return mapImageChannels(subject, (src, dst, off, n) => {
    const mean = channelMean(src, off, n) * multiplier;
    for (let i = off; i < off + n; i++) dst[i] = (src[i]! * multiplier - mean) * contrast + mean;
  });
}

const bcOps = { name: 'brightness-contrast', kind: 'intensity' as const, apply: applyBC };

/**
 * Per image channel: `y = x·multiplier`, then `(y − mean(y))·contrast + mean(y)`. Images only; float32.
 *
 * @example
 * const t = brightnessContrast({ multiplier: 1.1, contrast: 0.9 });
 */
export function brightnessContrast(params: BrightnessContrastParams): Transform<BrightnessContrastParams> {
  if (!Number.isFinite(params.multiplier) || !Number.isFinite(params.contrast)) {
    throw new InvalidArgumentError(
      `brightnessContrast: multiplier and contrast must be finite, got ${params.multiplier}, ${params.contrast}`,
    );
  }
  return { ...bcOps, sample: () => ({ ...params }) };
}

/**
 * Random twin of `brightnessContrast`: multiplier and contrast uniform in their ranges (default
 * [0.75, 1.25] each).
 *
 * @example
 * const t = randomBrightnessContrast({ p: 0.15 });
 */
export function randomBrightnessContrast(
  options: { multiplier?: [number, number]; contrast?: [number, number]; p?: number } = {},
): Transform<BrightnessContrastParams> {
  const [ml, mh] = options.multiplier ?? [0.75, 1.25];
  const [cl, ch] = options.contrast ?? [0.75, 1.25];
  if (!(mh >= ml && ch >= cl))
    throw new InvalidArgumentError(`randomBrightnessContrast: ranges must satisfy lo ≤ hi`);
  return {
    ...bcOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => ({ multiplier: rng.uniform(ml, mh), contrast: rng.uniform(cl, ch) }),
  };
}

/** @internal */
export const BRIGHTNESS_CONTRAST_OPS = bcOps;
