import { InvalidArgumentError } from '@voxnas/core';
import { createVolume } from '../volume.js';
import { composeMaps, identityMap, warp } from './internal/warp.js';
import { mapVolumes, type Subject, type Transform } from './subject.js';

/** Parameters of a 90° rotation: `k` quarter turns in the voxel plane `axes` = [a, b], from a towards b. */
export interface Rot90Params {
  axes: [number, number];
  k: number;
}

/** Map (out voxel → in voxel) and output shape for k quarter turns (numpy.rot90 convention). */
function rotMap(shape: readonly [number, number, number], axes: [number, number], k: number) {
  const [a, b] = axes;
  let map = identityMap();
  let cur: [number, number, number] = [shape[0], shape[1], shape[2]];
  for (let t = 0; t < ((k % 4) + 4) % 4; t++) {
    const next: [number, number, number] = [...cur];
    next[a] = cur[b]!;
    next[b] = cur[a]!;
    // in_a = out_b ; in_b = n_b − 1 − out_a (n_b of the current input)
    const step = new Float64Array(12);
    for (let i = 0; i < 3; i++) if (i !== a && i !== b) step[i * 4 + i] = 1;
    step[a * 4 + b] = 1;
    step[b * 4 + a] = -1;
    step[b * 4 + 3] = cur[b]! - 1;
    map = composeMaps(map, step);
    cur = next;
  }
  return { map, shape: cur };
}

function applyRot(subject: Subject, params: Rot90Params): Subject {
  if (params.k % 4 === 0) return subject;
  return mapVolumes(subject, (v) => {
    const { map, shape } = rotMap(v.shape, params.axes, params.k);
    const data = warp({ src: v, outShape: shape, map, mode: 'nearest' });
    return createVolume({ data, shape, channels: v.channels, affine: v.affine, kind: v.kind });
  });
}

const rotOps = {
  name: 'rot90',
  kind: 'spatial' as const,
  apply: applyRot,
  invert: (s: Subject, p: Rot90Params) => applyRot(s, { axes: p.axes, k: (4 - (p.k % 4)) % 4 }),
};

function checkPlane(axes: readonly number[], where: string): void {
  const [a, b] = axes;
  if (axes.length !== 2 || a === b || ![0, 1, 2].includes(a!) || ![0, 1, 2].includes(b!)) {
    throw new InvalidArgumentError(
      `${where}: axes must be two different axes of 0, 1, 2, got [${axes.join(', ')}]`,
    );
  }
}

/**
 * Rotates every volume by `k`·90° in the voxel plane `axes` (numpy.rot90 convention). A voxel
 * permutation: the affine is kept, so when the two axes differ in size the shape swaps, and when they
 * differ in spacing the anatomy is stretched — use planes with equal spacing.
 *
 * @example
 * const t = rot90({ axes: [0, 1], k: 1 });
 */
export function rot90(options: { axes: [number, number]; k: number }): Transform<Rot90Params> {
  checkPlane(options.axes, 'rot90');
  if (!Number.isInteger(options.k))
    throw new InvalidArgumentError(`rot90: k must be an integer, got ${options.k}`);
  return { ...rotOps, sample: () => ({ axes: [...options.axes] as [number, number], k: options.k }) };
}

/**
 * Random twin of `rot90`: k uniform in {0, 1, 2, 3} in the plane `axes` (default [0, 1]).
 *
 * @example
 * const t = randomRot90({ axes: [0, 1], p: 0.5 });
 */
export function randomRot90(options: { axes?: [number, number]; p?: number } = {}): Transform<Rot90Params> {
  const axes = options.axes ?? [0, 1];
  checkPlane(axes, 'randomRot90');
  return {
    ...rotOps,
    ...(options.p !== undefined ? { p: options.p } : {}),
    sample: (rng) => ({ axes: [...axes] as [number, number], k: rng.int(0, 4) }),
  };
}

/** @internal */
export const ROT90_OPS = rotOps;
