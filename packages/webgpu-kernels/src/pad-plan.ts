import { InvalidArgumentError } from '@voxnas/core';

/** One pad of rank ≤ 4 that, after reshapes, does part of a higher-rank pad. */
export interface PadStep {
  /** Shape the current tensor is reshaped to before this step (rank ≤ 4). */
  readonly shape: readonly number[];
  /** Paddings of this step, one `[before, after]` per axis of `shape`. */
  readonly paddings: ReadonlyArray<readonly [number, number]>;
  /** Full-rank shape after this step (the next step starts from it). */
  readonly outShape: readonly number[];
}

type Pair = readonly [number, number];

const isZero = (p: Pair): boolean => p[0] === 0 && p[1] === 0;

/**
 * Merges axes of `shape` so that a pad with `paddings` becomes a pad of lower rank on the same
 * memory: leading unpadded axes collapse into one, and each run of unpadded axes after a padded
 * axis folds into it (its length and both paddings multiplied by the run's size — row-major
 * contiguity makes that pad identical). E.g. `[n, d, h, w, c]` padded in d, h, w → `[n, d, h, w·c]`
 * padded by `w`'s paddings × c.
 */
function merge(shape: readonly number[], paddings: readonly Pair[]): { shape: number[]; paddings: Array<[number, number]> } {
  const outShape: number[] = [];
  const outPads: Array<[number, number]> = [];
  let lead = 1;
  let sawPadded = false;
  for (let i = 0; i < shape.length; i++) {
    const p = paddings[i]!;
    const s = shape[i]!;
    if (isZero(p)) {
      if (!sawPadded) lead *= s;
      else {
        const last = outShape.length - 1;
        outShape[last]! *= s;
        outPads[last]![0] *= s;
        outPads[last]![1] *= s;
      }
      continue;
    }
    if (!sawPadded && i > 0) {
      outShape.push(lead);
      outPads.push([0, 0]);
    }
    sawPadded = true;
    outShape.push(s);
    outPads.push([p[0], p[1]]);
  }
  return { shape: outShape, paddings: outPads };
}

/**
 * Plans a constant pad of any rank as steps of rank ≤ `maxRank` (default 4), each a reshape (free: same
 * memory), a pad, and a reshape back. tfjs-backend-webgpu 4.22's pad shader does not compile for rank
 * 5 and above ("cannot index type 'vec5'"), so this keeps every pad it runs at rank ≤ 4. A pad with
 * at most `maxRank` merged axes is one step; more padded axes split into two passes (padding is
 * separable: the corners get the constant either way). Returns `[]` when nothing is padded.
 *
 * @example
 * planPad([2, 5, 6, 7, 3], [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]]);
 * // [{ shape: [2, 5, 6, 21], paddings: [[0,0],[1,1],[1,1],[3,3]], outShape: [2, 7, 8, 9, 3] }]
 */
export function planPad(shape: readonly number[], paddings: readonly Pair[], maxRank = 4): PadStep[] {
  if (paddings.length !== shape.length) {
    throw new InvalidArgumentError(`planPad: ${paddings.length} paddings for a rank-${shape.length} shape, expected ${shape.length}`);
  }
  const padded = paddings.map((p, i) => (isZero(p) ? -1 : i)).filter((i) => i >= 0);
  if (padded.length === 0) return [];
  const merged = merge(shape, paddings);
  const outShape = shape.map((s, i) => s + paddings[i]![0] + paddings[i]![1]);
  if (merged.shape.length <= maxRank) return [{ shape: merged.shape, paddings: merged.paddings, outShape }];
  // Two passes: the first half of the padded axes, then the rest on the partly padded shape.
  const half = Math.ceil(padded.length / 2);
  const first = paddings.map((p, i) => (padded.indexOf(i) >= 0 && padded.indexOf(i) < half ? p : ([0, 0] as const)));
  const second = paddings.map((p, i) => (padded.indexOf(i) >= half ? p : ([0, 0] as const)));
  const firstSteps = planPad(shape, first, maxRank);
  const mid = firstSteps[firstSteps.length - 1]!.outShape;
  return [...firstSteps, ...planPad(mid, second, maxRank)];
}
