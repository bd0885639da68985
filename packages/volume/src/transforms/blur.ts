import { InvalidArgumentError } from '@voxnas/core';
import { alongAxis, mapImageChannels } from './internal/images.js';
import type { Subject, Transform } from './subject.js';

/** Parameters of a Gaussian blur: σ per voxel axis (in voxels). */
export interface BlurParams {
  sigmaVoxels: [number, number, number];
}

function kernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  return k;
}

function applyBlur(subject: Subject, { sigmaVoxels }: BlurParams): Subject {
  const kernels = sigmaVoxels.map((s) => (s > 0 ? kernel(s) : null));
  return mapImageChannels(subject, (src, dst, off, n, shape) => {
    const init = new Float64Array(n);
    for (let i = 0; i < n; i++) init[i] = src[off + i]!;
    let buf: { data: Float64Array; shape: [number, number, number] } = {
      data: init,
      shape: [...shape] as [number, number, number],
    };
    for (const axis of [0, 1, 2] as const) {
      const k = kernels[axis];
      if (!k) continue;
      const r = (k.length - 1) / 2;
      buf = alongAxis(buf.data, buf.shape, axis, shape[axis], (line, out) => {
        const L = line.length;
        for (let i = 0; i < L; i++) {
          let s = 0;
          for (let j = -r; j <= r; j++) {
            const t = Math.min(L - 1, Math.max(0, i + j)); // replicate border
            s += k[j + r]! * line[t]!;
          }
          out[i] = s;
        }
      });
    }
    for (let i = 0; i < n; i++) dst[off + i] = buf.data[i]!;
  });
}

const blurOps = { name: 'blur', kind: 'intensity' as const, apply: applyBlur };

/**
 * Separable Gaussian blur of every image channel (kernel radius ⌈3σ⌉, replicated border). σ = 0
 * leaves an axis alone. Images only; output float32.
 *
 * @example
 * const t = blur({ sigmaVoxels: [1, 1, 0.5] });
 */
export function blur(params: BlurParams): Transform<BlurParams> {
  if (!params.sigmaVoxels.every((s) => s >= 0))
    throw new InvalidArgumentError(`blur: sigmaVoxels must be ≥ 0, got [${params.sigmaVoxels.join(', ')}]`);
  return { ...blurOps, sample: () => ({ sigmaVoxels: [...params.sigmaVoxels] as [number, number, number] }) };
}

/**
 * Random twin of `blur`: one σ uniform in `sigmaVoxels` (default [0.5, 1]) for all axes.
 *
 * @example
 * const t = randomBlur({ sigmaVoxels: [0.5, 1], p: 0.2 });
 */
export function randomBlur(
  options: { sigmaVoxels?: [number, number]; p?: number } = {},
): Transform<BlurParams> {
  const [lo, hi] = options.sigmaVoxels ?? [0.5, 1];
  if (!(lo >= 0 && hi >= lo))
    throw new InvalidArgumentError(`randomBlur: sigma range [${lo}, ${hi}] must satisfy 0 ≤ lo ≤ hi`);
  return {
    ...blurOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => {
      const s = rng.uniform(lo, hi);
      return { sigmaVoxels: [s, s, s] };
    },
  };
}

/** @internal */
export const BLUR_OPS = blurOps;
