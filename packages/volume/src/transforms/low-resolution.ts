import { InvalidArgumentError } from '@voxnas/core';
import { alongAxis, mapImageChannels } from './internal/images.js';
import type { Subject, Transform } from './subject.js';

/** Parameters of low-resolution simulation: downsampling factor per voxel axis (≥ 1). */
export interface LowResolutionParams {
  factor: [number, number, number];
}

/** Linear resize of a line with aligned voxel centres and clamped borders. */
function resizeLine(line: Float64Array, out: Float64Array): void {
  const n = line.length,
    m = out.length;
  for (let i = 0; i < m; i++) {
    const x = Math.min(n - 1, Math.max(0, ((i + 0.5) * n) / m - 0.5));
    const x0 = Math.floor(x);
    const x1 = Math.min(n - 1, x0 + 1);
    const f = x - x0;
    out[i] = line[x0]! * (1 - f) + line[x1]! * f;
  }
}

function applyLowRes(subject: Subject, { factor }: LowResolutionParams): Subject {
  return mapImageChannels(subject, (src, dst, off, n, shape) => {
    const init = new Float64Array(n);
    for (let i = 0; i < n; i++) init[i] = src[off + i]!;
    let buf: { data: Float64Array; shape: [number, number, number] } = {
      data: init,
      shape: [...shape] as [number, number, number],
    };
    for (const axis of [0, 1, 2] as const) {
      if (factor[axis] === 1) continue;
      const m = Math.max(1, Math.round(shape[axis] / factor[axis]));
      buf = alongAxis(buf.data, buf.shape, axis, m, resizeLine);
    }
    for (const axis of [0, 1, 2] as const) {
      if (buf.shape[axis] === shape[axis]) continue;
      buf = alongAxis(buf.data, buf.shape, axis, shape[axis], resizeLine);
    }
    for (let i = 0; i < n; i++) dst[off + i] = buf.data[i]!;
  });
}

const lowResOps = { name: 'low-resolution', kind: 'intensity' as const, apply: applyLowRes };

/**
 * Simulates a coarser acquisition: each image channel is downsampled by `factor` per axis (linear,
 * aligned voxel centres) and upsampled back to its shape. Images only; output float32, same grid.
 *
 * @example
 * const t = lowResolution({ factor: [2, 2, 1] });
 */
export function lowResolution(params: LowResolutionParams): Transform<LowResolutionParams> {
  if (!params.factor.every((f) => f >= 1))
    throw new InvalidArgumentError(
      `lowResolution: factor must be ≥ 1 per axis, got [${params.factor.join(', ')}]`,
    );
  return { ...lowResOps, sample: () => ({ factor: [...params.factor] as [number, number, number] }) };
}

/**
 * Random twin of `lowResolution`: one factor uniform in `factor` (default [1, 2]) for all axes.
 *
 * @example
 * const t = randomLowResolution({ factor: [1, 2], p: 0.25 });
 */
export function randomLowResolution(
  options: { factor?: [number, number]; p?: number } = {},
): Transform<LowResolutionParams> {
  const [lo, hi] = options.factor ?? [1, 2];
  if (!(lo >= 1 && hi >= lo))
    throw new InvalidArgumentError(
      `randomLowResolution: factor range [${lo}, ${hi}] must satisfy 1 ≤ lo ≤ hi`,
    );
  return {
    ...lowResOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => {
      const f = rng.uniform(lo, hi);
      return { factor: [f, f, f] };
    },
  };
}

/** @internal */
export const LOW_RESOLUTION_OPS = lowResOps;
