import { InvalidArgumentError } from '@voxnas/core';
import type { Volume } from '../volume.js';

/** Voxel indices of every label value of a label volume, built once per case for patch sampling. */
export interface LabelIndex {
  readonly shape: readonly [number, number, number];
  /** Label values present, ascending. */
  readonly classes: readonly number[];
  /** `voxels[i]` holds the linear indices (x fastest) of voxels equal to `classes[i]`. */
  readonly voxels: readonly Int32Array[];
}

/**
 * Indexes a single-channel label volume by value (two passes, no per-voxel allocation).
 *
 * @example
 * const index = createLabelIndex(label);
 * index.classes; // e.g. [0, 1, 2, 3]
 */
export function createLabelIndex(label: Volume): LabelIndex {
  if (label.channels !== 1)
    throw new InvalidArgumentError(
      `createLabelIndex: expected a 1-channel label volume, got ${label.channels} channels`,
    );
  const d = label.data;
  const counts = new Map<number, number>();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const voxels = classes.map((c) => new Int32Array(counts.get(c)!));
  const slot = new Map(classes.map((c, i) => [c, i]));
  const fill = new Int32Array(classes.length);
  for (let i = 0; i < d.length; i++) {
    const k = slot.get(d[i]!)!;
    voxels[k]![fill[k]!++] = i;
  }
  return { shape: label.shape, classes, voxels };
}
