import { InvalidArgumentError } from '@voxnas/core';
import type { Rng } from '@voxnas/core';
import type { LabelIndex } from './label-index.js';

type Vec3 = [number, number, number];

/** A sampled patch: its start voxel (may be negative or overhang when the patch exceeds the volume) and the class it was forced to contain, if any. */
export interface PatchDraw {
  start: Vec3;
  /** Label value the patch is guaranteed to contain, or null for an unconstrained draw. */
  forcedClass: number | null;
}

function checkShapes(shape: readonly number[], patchShape: readonly number[], where: string): void {
  if (patchShape.length !== 3 || !patchShape.every((p) => Number.isInteger(p) && p > 0)) {
    throw new InvalidArgumentError(
      `${where}: patchShape must be 3 positive integers, got [${patchShape.join(', ')}]`,
    );
  }
  if (shape.length !== 3)
    throw new InvalidArgumentError(`${where}: shape must have 3 entries, got ${shape.length}`);
}

/** Valid start range on one axis: [min(0, n − p), max(0, n − p)] (a patch larger than the volume is centred by padding). */
function startRange(n: number, p: number): [number, number] {
  return [Math.min(0, n - p), Math.max(0, n - p)];
}

/**
 * A patch start uniform over all valid starts (patch inside the volume on every axis where it fits).
 *
 * @example
 * const { start } = sampleUniformPatch(rng, { shape: [48, 40, 32], patchShape: [32, 32, 16] });
 */
export function sampleUniformPatch(
  rng: Rng,
  o: { shape: readonly number[]; patchShape: readonly number[] },
): PatchDraw {
  checkShapes(o.shape, o.patchShape, 'sampleUniformPatch');
  const start = [0, 1, 2].map((a) => {
    const [lo, hi] = startRange(o.shape[a]!, o.patchShape[a]!);
    return rng.int(lo, hi + 1);
  }) as Vec3;
  return { start, forcedClass: null };
}

/**
 * A patch guaranteed to contain a voxel of class `cls`: a voxel of that class is drawn uniformly, then a
 * start uniformly among the valid starts whose patch contains it. Drawing the start uniformly (rather
 * than centring on the voxel and clamping) keeps the draw unbiased at the volume borders. Falls back to
 * a uniform patch (`forcedClass: null`) when the class is absent.
 *
 * @example
 * const d = samplePatchContaining(rng, { index, patchShape: [32, 32, 16], cls: 2 });
 */
export function samplePatchContaining(
  rng: Rng,
  o: { index: LabelIndex; patchShape: readonly number[]; cls: number },
): PatchDraw {
  const { index, patchShape } = o;
  checkShapes(index.shape, patchShape, 'samplePatchContaining');
  const k = index.classes.indexOf(o.cls);
  if (k < 0) return sampleUniformPatch(rng, { shape: index.shape, patchShape });
  const vox = index.voxels[k]!;
  const lin = vox[rng.int(0, vox.length)]!;
  const [nx, ny] = index.shape;
  const v = [lin % nx, Math.floor(lin / nx) % ny, Math.floor(lin / (nx * ny))];
  const start = [0, 1, 2].map((a) => {
    const [lo, hi] = startRange(index.shape[a]!, patchShape[a]!);
    const a0 = Math.max(lo, v[a]! - patchShape[a]! + 1);
    const a1 = Math.min(hi, v[a]!);
    return rng.int(a0, a1 + 1);
  }) as Vec3;
  return { start, forcedClass: o.cls };
}

/**
 * nnU-Net-style foreground oversampling for one patch: when `force` is true the patch contains a
 * foreground voxel (class drawn uniformly among the foreground classes present, then as
 * `samplePatchContaining`); otherwise uniform. Use `foregroundFlags` to force an exact fraction of a batch.
 *
 * @example
 * const flags = foregroundFlags(8, 0.33); // last 3 of 8 forced
 * const d = sampleForegroundPatch(rng, { index, patchShape, force: flags[i] });
 */
export function sampleForegroundPatch(
  rng: Rng,
  o: { index: LabelIndex; patchShape: readonly number[]; force: boolean; background?: number },
): PatchDraw {
  const bg = o.background ?? 0;
  const fg = o.index.classes.filter((c) => c !== bg);
  if (!o.force || fg.length === 0)
    return sampleUniformPatch(rng, { shape: o.index.shape, patchShape: o.patchShape });
  return samplePatchContaining(rng, {
    index: o.index,
    patchShape: o.patchShape,
    cls: fg[rng.int(0, fg.length)]!,
  });
}

/**
 * Which items of a batch are forced to contain foreground: exactly `round(batchSize·fraction)`, the last
 * ones (nnU-Net's convention), so the ratio is exact per batch.
 *
 * @example
 * foregroundFlags(4, 0.33); // [false, false, false, true]
 */
export function foregroundFlags(batchSize: number, fraction: number): boolean[] {
  if (!(fraction >= 0 && fraction <= 1))
    throw new InvalidArgumentError(`foregroundFlags: fraction must be in [0, 1], got ${fraction}`);
  const k = Math.round(batchSize * fraction);
  return Array.from({ length: batchSize }, (_, i) => i >= batchSize - k);
}

/**
 * Assigns a class to each of `count` patches with exact ratios: class c gets ⌊count·r_c⌋ patches plus
 * the largest remainders (ties broken by the rng), and the order is shuffled. Over many batches every
 * class's share matches its ratio exactly up to one patch per batch.
 *
 * @example
 * allocateClasses(rng, { ratios: { 0: 1, 1: 1, 2: 2 }, count: 8 }); // two 0s, two 1s, four 2s, shuffled
 */
export function allocateClasses(
  rng: Rng,
  o: { ratios: Readonly<Record<number, number>>; count: number },
): number[] {
  const entries = Object.entries(o.ratios).map(([k, w]) => [Number(k), w] as const);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (!(total > 0) || entries.some(([, w]) => !(w >= 0))) {
    throw new InvalidArgumentError(
      `allocateClasses: ratios must be ≥ 0 with a positive sum, got ${JSON.stringify(o.ratios)}`,
    );
  }
  const quota = entries.map(([c, w]) => ({ c, q: (o.count * w) / total, tie: rng.float() }));
  const out: number[] = [];
  for (const e of quota) for (let i = 0; i < Math.floor(e.q); i++) out.push(e.c);
  const rest = [...quota].sort((a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || a.tie - b.tie);
  for (let i = 0; out.length < o.count; i++) out.push(rest[i % rest.length]!.c);
  return rng.shuffle(out);
}

/**
 * A class-balanced batch of patch draws: classes allocated exactly by `ratios`, each patch containing
 * its class (see `samplePatchContaining`).
 *
 * @example
 * const draws = sampleClassBalancedPatches(rng, { index, patchShape: [32, 32, 16], ratios: { 0: 1, 1: 1, 2: 1, 3: 1 }, count: 4 });
 */
export function sampleClassBalancedPatches(
  rng: Rng,
  o: {
    index: LabelIndex;
    patchShape: readonly number[];
    ratios: Readonly<Record<number, number>>;
    count: number;
  },
): PatchDraw[] {
  return allocateClasses(rng, o).map((cls) =>
    samplePatchContaining(rng, { index: o.index, patchShape: o.patchShape, cls }),
  );
}
