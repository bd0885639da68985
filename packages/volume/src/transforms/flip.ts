import { InvalidArgumentError } from '@voxnas/core';
import { createVolume } from '../volume.js';
import { identityMap, warp } from './internal/warp.js';
import { mapVolumes, type Subject, type Transform } from './subject.js';

/** Parameters of a flip: the voxel axes (0 = x/i, 1 = y/j, 2 = z/k) that are reversed. */
export interface FlipParams {
  axes: number[];
}

function checkAxes(axes: readonly number[], where: string): void {
  for (const a of axes) {
    if (a !== 0 && a !== 1 && a !== 2) throw new InvalidArgumentError(`${where}: axis ${a} is not 0, 1 or 2`);
  }
}

function applyFlip(subject: Subject, params: FlipParams): Subject {
  if (params.axes.length === 0) return subject;
  return mapVolumes(subject, (v) => {
    const m = identityMap();
    for (const a of params.axes) {
      m[a * 4 + a] = -1;
      m[a * 4 + 3] = v.shape[a]! - 1;
    }
    const data = warp({ src: v, outShape: v.shape, map: m, mode: 'nearest' });
    return createVolume({ data, shape: v.shape, channels: v.channels, affine: v.affine, kind: v.kind });
  });
}

const flipOps = { name: 'flip', kind: 'spatial' as const, apply: applyFlip, invert: applyFlip };

/**
 * Reverses the voxel order along `axes` for every volume. A pure voxel permutation: the affine (world
 * grid) is kept and the data change, so the anatomy appears mirrored in world space — the usual
 * augmentation semantics. Its own inverse.
 *
 * @example
 * const t = flip({ axes: [0] }); // mirror left–right in voxel space
 */
export function flip(options: { axes: number[] }): Transform<FlipParams> {
  checkAxes(options.axes, 'flip');
  return { ...flipOps, sample: () => ({ axes: [...options.axes] }) };
}

/**
 * Random twin of `flip`: each axis in `axes` (default all three) is flipped with probability 1/2.
 * `p` is the probability of running at all.
 *
 * @example
 * const t = randomFlip({ axes: [0, 1], p: 0.8 });
 */
export function randomFlip(options: { axes?: number[]; p?: number } = {}): Transform<FlipParams> {
  const axes = options.axes ?? [0, 1, 2];
  checkAxes(axes, 'randomFlip');
  return {
    ...flipOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => ({ axes: axes.filter(() => rng.float() < 0.5) }),
  };
}

/** @internal Registry entry for replay/invert. */
export const FLIP_OPS = flipOps;
