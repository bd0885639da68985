import { InvalidArgumentError } from '@voxnas/core';
import { BLUR_OPS } from './blur.js';
import { BRIGHTNESS_CONTRAST_OPS } from './brightness-contrast.js';
import { FLIP_OPS } from './flip.js';
import { GAMMA_OPS } from './gamma.js';
import { LOW_RESOLUTION_OPS } from './low-resolution.js';
import { NOISE_OPS } from './noise.js';
import { ROT90_OPS } from './rot90.js';
import { SPATIAL_OPS } from './spatial.js';
import { withStep, type Subject, type Transform, type TransformStep } from './subject.js';

/** What `replay`/`invert` need to know about a transform name: apply and (for spatial) invert. */
export type TransformOps = Pick<Transform<unknown>, 'name' | 'kind' | 'apply' | 'invert'>;

function lookup(name: string, table: ReadonlyMap<string, TransformOps>, where: string): TransformOps {
  const t = table.get(name);
  if (!t) {
    throw new InvalidArgumentError(
      `${where}: unknown transform '${name}' in the history, expected one of ${[...table.keys()].join(', ')}; pass custom transforms in options.transforms`,
    );
  }
  return t;
}

const BUILTINS: readonly TransformOps[] = [
  FLIP_OPS,
  ROT90_OPS,
  SPATIAL_OPS,
  GAMMA_OPS,
  NOISE_OPS,
  BLUR_OPS,
  BRIGHTNESS_CONTRAST_OPS,
  LOW_RESOLUTION_OPS,
] as readonly TransformOps[];

function table(extra: readonly TransformOps[] | undefined): Map<string, TransformOps> {
  const m = new Map(BUILTINS.map((t) => [t.name, t]));
  for (const t of extra ?? []) m.set(t.name, t);
  return m;
}

/**
 * Re-applies a recorded history to `subject` without any RNG, reproducing the original output bit for
 * bit. Steps with `params: null` were skipped and stay skipped.
 *
 * @example
 * const again = replay(createSubject({ image, label }), JSON.parse(log));
 */
export function replay(
  subject: Subject,
  history: readonly TransformStep[],
  options: { transforms?: readonly TransformOps[] } = {},
): Subject {
  const t = table(options.transforms);
  let s = subject;
  for (const step of history) {
    const op = lookup(step.name, t, 'replay');
    if (step.params !== null) s = op.apply(s, step.params);
    s = withStep(s, step);
  }
  return s;
}

/**
 * Undoes the spatial steps of `subject.history` in reverse order (intensity steps are not undone),
 * bringing e.g. a prediction made on an augmented patch back to the original grid. Volumes are
 * resampled (labels by nearest neighbour). The returned history is empty.
 *
 * @example
 * const back = invert({ volumes: { label: prediction }, history: augmented.history });
 */
export function invert(subject: Subject, options: { transforms?: readonly TransformOps[] } = {}): Subject {
  const t = table(options.transforms);
  let s: Subject = { volumes: subject.volumes, history: [] };
  for (let i = subject.history.length - 1; i >= 0; i--) {
    const step = subject.history[i]!;
    const op = lookup(step.name, t, 'invert');
    if (step.params === null || op.kind !== 'spatial') continue;
    if (!op.invert) throw new InvalidArgumentError(`invert: spatial transform '${step.name}' has no inverse`);
    s = op.invert(s, step.params);
  }
  return Object.freeze({ volumes: s.volumes, history: Object.freeze([]) });
}
