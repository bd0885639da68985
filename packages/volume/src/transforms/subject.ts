import { InvalidArgumentError } from '@voxnas/core';
import type { Rng } from '@voxnas/core';
import type { Volume } from '../volume.js';

/** One recorded augmentation step: the transform's name and the JSON parameters it drew (`null` = skipped). */
export interface TransformStep {
  readonly name: string;
  readonly params: unknown;
}

/**
 * Volumes that travel together through augmentation (e.g. `{ image, label }`), plus the history of
 * steps applied so far. Images may be multi-channel; every volume shares one grid.
 */
export interface Subject {
  readonly volumes: Readonly<Record<string, Volume>>;
  readonly history: readonly TransformStep[];
}

/**
 * A transform: `sample` draws parameters (JSON) from `rng` for this subject, `apply` is deterministic
 * given those parameters, `invert` (spatial transforms only) undoes `apply` on a subject living on
 * the output grid. `p` is the probability that `compose` runs the transform (default 1).
 */
export interface Transform<P = unknown> {
  readonly name: string;
  readonly kind: 'spatial' | 'intensity';
  readonly p?: number;
  sample(rng: Rng, subject: Subject): P;
  apply(subject: Subject, params: P): Subject;
  invert?(subject: Subject, params: P): Subject;
}

/**
 * Builds a Subject with an empty history. All volumes must share one grid (shape and affine).
 *
 * @example
 * const s = createSubject({ image, label });
 */
export function createSubject(volumes: Record<string, Volume>): Subject {
  const names = Object.keys(volumes);
  if (names.length === 0)
    throw new InvalidArgumentError('createSubject: expected at least one volume, got none');
  const first = volumes[names[0]!]!;
  for (const n of names.slice(1)) {
    const v = volumes[n]!;
    const sameShape = v.shape.every((s, i) => s === first.shape[i]);
    let sameAffine = true;
    for (let i = 0; i < 16; i++) if (Math.abs(v.affine[i]! - first.affine[i]!) > 1e-4) sameAffine = false;
    if (!sameShape || !sameAffine) {
      throw new InvalidArgumentError(
        `createSubject: volume '${n}' is on grid [${v.shape.join(', ')}], expected the grid of '${names[0]}' [${first.shape.join(', ')}] with the same affine`,
      );
    }
  }
  return Object.freeze({ volumes: Object.freeze({ ...volumes }), history: Object.freeze([]) });
}

/** Returns a subject with `fn` applied to every volume (or only to images when `only` is 'image'). */
export function mapVolumes(
  subject: Subject,
  fn: (v: Volume, name: string) => Volume,
  only?: 'image',
): Subject {
  const out: Record<string, Volume> = {};
  for (const [name, v] of Object.entries(subject.volumes)) {
    out[name] = only && v.kind !== only ? v : fn(v, name);
  }
  return Object.freeze({ volumes: Object.freeze(out), history: subject.history });
}

/** @internal Appends a step to the history. */
export function withStep(subject: Subject, step: TransformStep): Subject {
  return Object.freeze({ volumes: subject.volumes, history: Object.freeze([...subject.history, step]) });
}

/**
 * Chains transforms: for each, with probability `p` (default 1) samples parameters from `rng`, applies
 * them and records `{ name, params }` in the history; a skipped transform is recorded with
 * `params: null`. Params are deep-copied through JSON so the log is plain data.
 *
 * @example
 * const augment = compose([randomFlip(), randomGamma({ p: 0.3 })]);
 * const out = augment(createSubject({ image, label }), new Rng(1).fork('augment'));
 * JSON.stringify(out.history); // the replay log
 */
export function compose(transforms: readonly Transform<unknown>[]): (subject: Subject, rng: Rng) => Subject {
  const list = transforms;
  for (const t of list) {
    if (t.p !== undefined && !(t.p >= 0 && t.p <= 1)) {
      throw new InvalidArgumentError(
        `compose: transform '${t.name}' has p=${t.p}, expected a probability in [0, 1]`,
      );
    }
  }
  return (subject, rng) => {
    let s = subject;
    for (const t of list) {
      const p = t.p ?? 1;
      if (p < 1 && !(rng.float() < p)) {
        s = withStep(s, { name: t.name, params: null });
        continue;
      }
      const params = JSON.parse(JSON.stringify(t.sample(rng, s))) as unknown;
      s = withStep(t.apply(s, params), { name: t.name, params });
    }
    return s;
  };
}
