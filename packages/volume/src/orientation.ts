import { InvalidArgumentError, multiplyAffine, polarOrthogonal3 } from '@voxnas/core';
import { GeometryError } from './errors.js';
import { sampleGrid } from './internal/grid-sample.js';
import { createVolume } from './volume.js';
import type { Affine, Volume } from './volume.js';

const LETTERS: readonly (readonly [string, string])[] = [
  ['L', 'R'],
  ['P', 'A'],
  ['I', 'S'],
];

/** For each voxel axis i: the world axis (0 = x/R, 1 = y/A, 2 = z/S) it runs along most and its sign. */
export interface AxisOrientation {
  readonly worldAxis: 0 | 1 | 2;
  readonly sign: 1 | -1;
}

/**
 * The world axis and direction of each voxel axis, computed like nibabel `io_orientation`: the nearest
 * orthogonal matrix to the column-normalised 3×3 part, then for axes i = 0, 1, 2 in turn the largest
 * remaining |entry| in column i (a world axis is used once).
 *
 * @example
 * axisOrientations([-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * // [{ worldAxis: 0, sign: -1 }, { worldAxis: 1, sign: 1 }, { worldAxis: 2, sign: 1 }]  ('LAS')
 */
export function axisOrientations(
  affine: ArrayLike<number>,
): [AxisOrientation, AxisOrientation, AxisOrientation] {
  if (affine.length !== 16)
    throw new GeometryError(`axisOrientations: affine must have 16 entries, got ${affine.length}`);
  const RS = new Float64Array(9);
  for (let j = 0; j < 3; j++) {
    let z = Math.hypot(affine[j]!, affine[4 + j]!, affine[8 + j]!);
    if (z === 0) z = 1;
    for (let i = 0; i < 3; i++) RS[i * 3 + j] = affine[i * 4 + j]! / z;
  }
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(RS[i]!))
      throw new GeometryError(`axisOrientations: affine has a non-finite 3×3 entry, expected finite numbers`);
  }
  const R = polarOrthogonal3(RS);
  const out: AxisOrientation[] = [];
  for (let j = 0; j < 3; j++) {
    let best = 0;
    for (let i = 1; i < 3; i++) if (Math.abs(R[i * 3 + j]!) > Math.abs(R[best * 3 + j]!)) best = i;
    const v = R[best * 3 + j]!;
    if (v === 0)
      throw new GeometryError(`axisOrientations: voxel axis ${j} has no world direction (singular affine)`);
    out.push({ worldAxis: best as 0 | 1 | 2, sign: v < 0 ? -1 : 1 });
    for (let k = 0; k < 3; k++) R[best * 3 + k] = 0;
  }
  return out as [AxisOrientation, AxisOrientation, AxisOrientation];
}

/**
 * The orientation code of an affine or volume, like nibabel `aff2axcodes`: one letter per voxel axis
 * naming the world direction that axis points to (R/L, A/P, S/I). 'RAS' means i → Right, j → Anterior,
 * k → Superior; 'LAS' is the radiological x flip.
 *
 * @example
 * orientationCode(identityAffine());                 // 'RAS'
 * orientationCode(await readNifti('AICHAmc.nii.gz')); // 'LAS'
 */
export function orientationCode(affineOrVolume: ArrayLike<number> | Pick<Volume, 'affine'>): string {
  const a = 'affine' in affineOrVolume ? affineOrVolume.affine : affineOrVolume;
  return axisOrientations(a)
    .map((o) => LETTERS[o.worldAxis]![o.sign > 0 ? 1 : 0])
    .join('');
}

/** Parses an orientation code such as 'RAS' / 'lps' into per-axis world axis + sign. */
function parseCode(code: string): [AxisOrientation, AxisOrientation, AxisOrientation] {
  const up = typeof code === 'string' ? code.toUpperCase() : '';
  const out: AxisOrientation[] = [];
  const used = new Set<number>();
  for (const ch of up) {
    const w = LETTERS.findIndex((p) => p.includes(ch));
    if (w < 0 || used.has(w)) break;
    used.add(w);
    out.push({ worldAxis: w as 0 | 1 | 2, sign: LETTERS[w]![1] === ch ? 1 : -1 });
  }
  if (out.length !== 3 || up.length !== 3) {
    throw new InvalidArgumentError(
      `reorient: orientation code is '${String(code)}', expected 3 letters, one from each of R/L, A/P, S/I (e.g. 'RAS', 'LPS')`,
    );
  }
  return out as [AxisOrientation, AxisOrientation, AxisOrientation];
}

/**
 * The voxel permutation/flip M (output voxel → input voxel) that brings a grid of `shape` with `affine`
 * to the orientation `code`, and the output shape.
 *
 * @example
 * const { M, shape } = reorientMatrix(v.shape, v.affine, 'RAS'); // reorient(v) = resampleGrid(v, { M, shape, interpolation: 'nearest' })
 */
export function reorientMatrix(
  shape: readonly [number, number, number],
  affine: ArrayLike<number>,
  code: string,
): { M: Affine; shape: [number, number, number] } {
  const target = parseCode(code);
  const current = axisOrientations(affine);
  const M = new Float64Array(16);
  M[15] = 1;
  const outShape: [number, number, number] = [0, 0, 0];
  for (let j = 0; j < 3; j++) {
    const t = target[j]!;
    const i = current.findIndex((c) => c.worldAxis === t.worldAxis);
    const flip = current[i]!.sign !== t.sign;
    outShape[j] = shape[i]!;
    M[i * 4 + j] = flip ? -1 : 1;
    M[i * 4 + 3] = flip ? shape[i]! - 1 : 0;
  }
  return { M, shape: outShape };
}

/**
 * Permutes and flips the voxel axes so that the volume has orientation `code` (default 'RAS'), e.g.
 * 'LAS' data becomes 'RAS' by reversing x. Pure index permutation: values and dtype are copied exactly,
 * each voxel keeps its world position (the affine becomes A·M), and `reorient(reorient(v, 'RAS'), orig)`
 * restores `v`. Returns `volume` itself when it already has that orientation. Oblique affines are
 * handled like nibabel `as_closest_canonical`: the closest axis assignment is used and the affine keeps
 * the obliquity.
 *
 * @example
 * const ras = reorient(await readNifti('AICHAmc.nii.gz'), 'RAS');
 * orientationCode(ras); // 'RAS'
 */
export function reorient(volume: Volume, code = 'RAS'): Volume {
  const { M, shape } = reorientMatrix(volume.shape, volume.affine, code);
  let identity = true;
  for (let i = 0; i < 16; i++) if (M[i] !== (i % 5 === 0 ? 1 : 0)) identity = false;
  if (identity) return volume;
  const data = sampleGrid(volume, M, shape, { interpolation: 'nearest', fill: 0 });
  return createVolume({
    data,
    shape,
    channels: volume.channels,
    affine: multiplyAffine(volume.affine, M),
    kind: volume.kind,
  });
}
