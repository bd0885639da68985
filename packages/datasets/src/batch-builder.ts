import { openDataset, type Dataset, type LoadedCase } from './dataset.js';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import type { Volume } from '@voxnas/volume';
import { extractPatch, createLabelIndex, type LabelIndex, allocateClasses, foregroundFlags, sampleForegroundPatch, samplePatchContaining, sampleUniformPatch, type PatchDraw, randomBlur, randomBrightnessContrast, randomFlip, randomGamma, randomLowResolution, randomNoise, randomRot90, randomSpatial, type RandomSpatialOptions, compose, createSubject, type Subject, type Transform, type TransformStep } from '@voxnas/volume';

type Vec3 = [number, number, number];

/**
 * A transform described as plain data, so it can cross to worker threads: `type` names a built-in
 * random transform, `options` are its options. `spatial` gets the patch shape and centre from the
 * sampler, so it resamples the patch directly (one pass).
 */
export type TransformSpec =
  | { type: 'spatial'; options?: Omit<RandomSpatialOptions, 'outShape' | 'centreVoxel'> }
  | { type: 'flip'; options?: Parameters<typeof randomFlip>[0] }
  | { type: 'rot90'; options?: Parameters<typeof randomRot90>[0] }
  | { type: 'gamma'; options?: Parameters<typeof randomGamma>[0] }
  | { type: 'noise'; options?: Parameters<typeof randomNoise>[0] }
  | { type: 'blur'; options?: Parameters<typeof randomBlur>[0] }
  | { type: 'brightness-contrast'; options?: Parameters<typeof randomBrightnessContrast>[0] }
  | { type: 'low-resolution'; options?: Parameters<typeof randomLowResolution>[0] };

/** How patch positions are drawn. */
export type SamplerSpec =
  | { type: 'uniform' }
  | { type: 'foreground'; fraction: number }
  | { type: 'class-balanced'; ratios: Record<number, number> };

/** Everything that determines the batches (plain data: it is sent to the workers). */
export interface BatchPlan {
  dataset: string;
  caseIds?: string[];
  patchShape: Vec3;
  batchSize: number;
  seed: number;
  sampler?: SamplerSpec;
  transforms?: TransformSpec[];
  /** Decoded cases kept in memory per thread (least recently used evicted), default: all. */
  cacheCases?: number;
}

/** One batch: NDHWC images `[batch, z, y, x, channel]` and labels `[batch, z, y, x]`, plus provenance. */
export interface Batch {
  readonly index: number;
  /** float32, shape `imageShape` = [batchSize, pz, py, px, channels] (NDHWC, ready for tf.tensor5d). */
  readonly images: Float32Array;
  readonly imageShape: [number, number, number, number, number];
  /** int32, shape [batchSize, pz, py, px]. */
  readonly labels: Int32Array;
  readonly caseIds: string[];
  /** Patch draws (start voxel in the case, forced class). */
  readonly draws: PatchDraw[];
  /** Per item, the augmentation history (replayable with `replay`). */
  readonly history: TransformStep[][];
}

function makeTransform(spec: TransformSpec, outShape: Vec3, centreVoxel: Vec3): Transform<unknown> {
  switch (spec.type) {
    case 'spatial':
      return randomSpatial({ ...spec.options, outShape, centreVoxel });
    case 'flip':
      return randomFlip(spec.options);
    case 'rot90':
      return randomRot90(spec.options);
    case 'gamma':
      return randomGamma(spec.options);
    case 'noise':
      return randomNoise(spec.options);
    case 'blur':
      return randomBlur(spec.options);
    case 'brightness-contrast':
      return randomBrightnessContrast(spec.options);
    case 'low-resolution':
      return randomLowResolution(spec.options);
    default:
      throw new InvalidArgumentError(`loader: unknown transform type '${(spec as { type: string }).type}'`);
  }
}

/** Validates a plan's plain-data fields (cheap; the dataset is validated by openDataset). */
export function checkPlan(p: BatchPlan): void {
  if (!(Number.isInteger(p.batchSize) && p.batchSize > 0))
    throw new InvalidArgumentError(`createLoader: batchSize must be a positive integer, got ${p.batchSize}`);
  if (p.patchShape.length !== 3 || !p.patchShape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(
      `createLoader: patchShape must be 3 positive integers, got [${p.patchShape.join(', ')}]`,
    );
  }
  if (!Number.isInteger(p.seed))
    throw new InvalidArgumentError(`createLoader: seed must be an integer, got ${p.seed}`);
  const s = p.sampler;
  if (s && s.type === 'foreground' && !(s.fraction >= 0 && s.fraction <= 1))
    throw new InvalidArgumentError(`createLoader: foreground fraction must be in [0, 1], got ${s.fraction}`);
  for (const t of p.transforms ?? []) makeTransform(t, p.patchShape, [0, 0, 0]);
}

/**
 * Builds batches for a plan. Batch `b` depends only on (plan, b): its RNG is `new Rng(seed).fork('batch-b')`
 * and its cases come from the epoch's shuffled order, so any worker can build any batch and 1 or N
 * workers give identical batches.
 */
export class BatchBuilder {
  private dataset: Dataset | undefined;
  private ids: string[] = [];
  private readonly cache = new Map<string, Promise<{ c: LoadedCase; index: LabelIndex | null }>>();
  private readonly epochs = new Map<number, string[]>();

  /**
   * `cases`: decoded cases to use instead of reading the dataset (shared with other loaders and the
   * caller; trusted as validated by whoever decoded them). Without them, cases are read and decoded here.
   */
  constructor(
    private readonly plan: BatchPlan,
    private readonly cases?: ReadonlyMap<string, LoadedCase>,
  ) {
    checkPlan(plan);
  }

  async init(validate: 'full' | 'files' | false): Promise<void> {
    if (this.cases) {
      const ids = this.plan.caseIds ?? [...this.cases.keys()];
      const missing = ids.filter((id) => !this.cases!.has(id));
      if (missing.length)
        throw new InvalidArgumentError(`createLoader: case ids not among the cases given: ${missing.join(', ')}`);
      if (ids.length === 0) throw new InvalidArgumentError('createLoader: no cases to load');
      this.ids = ids;
      return;
    }
    this.dataset ??= await openDataset(this.plan.dataset, { validate });
    const ids = this.plan.caseIds ?? [...this.dataset.caseIds];
    const known = new Set(this.dataset.caseIds);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length)
      throw new InvalidArgumentError(
        `createLoader: case ids not in the dataset's training set: ${unknown.join(', ')}`,
      );
    if (ids.length === 0) throw new InvalidArgumentError('createLoader: no cases to load');
    this.ids = ids;
  }

  private load(id: string) {
    let p = this.cache.get(id);
    if (p) {
      this.cache.delete(id); // re-insert: Map order is the LRU order
    } else {
      const shared = this.cases?.get(id);
      p = (shared ? Promise.resolve(shared) : this.dataset!.loadCase(id)).then((c) => ({
        c,
        index: c.label ? createLabelIndex(c.label) : null,
      }));
    }
    this.cache.set(id, p);
    const cap = this.plan.cacheCases ?? Infinity;
    while (this.cache.size > Math.max(cap, this.plan.batchSize))
      this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private epochOrder(e: number): string[] {
    let o = this.epochs.get(e);
    if (!o) {
      o = new Rng(this.plan.seed).fork(`epoch-${e}`).shuffle(this.ids);
      this.epochs.set(e, o);
      if (this.epochs.size > 4) this.epochs.delete(this.epochs.keys().next().value!);
    }
    return o;
  }

  async build(b: number): Promise<Batch> {
    const { batchSize: B, patchShape } = this.plan;
    const [px, py, pz] = patchShape;
    const pn = px * py * pz;
    const rng = new Rng(this.plan.seed).fork(`batch-${b}`);
    const samplerRng = rng.fork('sampler');
    const caseIds = Array.from({ length: B }, (_, i) => {
      const g = b * B + i;
      return this.epochOrder(Math.floor(g / this.ids.length))[g % this.ids.length]!;
    });
    const loaded = await Promise.all(caseIds.map((id) => this.load(id)));
    const sampler = this.plan.sampler ?? { type: 'uniform' };
    const flags = sampler.type === 'foreground' ? foregroundFlags(B, sampler.fraction) : null;
    const classes =
      sampler.type === 'class-balanced'
        ? allocateClasses(samplerRng, { ratios: sampler.ratios, count: B })
        : null;
    const C = loaded[0]!.c.image.channels;
    const images = new Float32Array(B * pn * C);
    const labels = new Int32Array(B * pn);
    const draws: PatchDraw[] = [];
    const history: TransformStep[][] = [];
    for (let i = 0; i < B; i++) {
      const { c, index } = loaded[i]!;
      if (c.image.channels !== C)
        throw new InvalidArgumentError(
          `loader: case ${c.id} has ${c.image.channels} channels, expected ${C}`,
        );
      const shape = c.image.shape;
      let draw: PatchDraw;
      if (flags && index) draw = sampleForegroundPatch(samplerRng, { index, patchShape, force: flags[i]! });
      else if (classes && index)
        draw = samplePatchContaining(samplerRng, { index, patchShape, cls: classes[i]! });
      else draw = sampleUniformPatch(samplerRng, { shape, patchShape });
      draws.push(draw);
      const centre = draw.start.map((s, a) => s + (patchShape[a]! - 1) / 2) as Vec3;
      const specs = this.plan.transforms ?? [];
      let subject: Subject;
      const volumes: Record<string, Volume> = c.label
        ? { image: c.image, label: c.label }
        : { image: c.image };
      if (specs.some((s) => s.type === 'spatial')) {
        subject = createSubject(volumes);
      } else {
        // No spatial augmentation: an exact integer crop (same values as an identity resampling).
        const crop = Object.fromEntries(
          Object.entries(volumes).map(([k, v]) => [k, extractPatch(v, { start: draw.start, patchShape })]),
        );
        subject = createSubject(crop);
      }
      const augment = compose(specs.map((s) => makeTransform(s, patchShape, centre)));
      const out = augment(subject, rng.fork(`augment-${i}`));
      history.push(out.history as TransformStep[]);
      const img = out.volumes.image!;
      if (!img.shape.every((n, a) => n === patchShape[a])) {
        throw new InvalidArgumentError(
          `loader: augmentation changed the patch shape to [${img.shape.join(', ')}], expected [${patchShape.join(', ')}] (rot90 needs a plane of equal patch sides)`,
        );
      }
      // Planar (x fastest per channel) → NDHWC (channel fastest).
      const src = img.data;
      const base = i * pn * C;
      if (C === 1) for (let v = 0; v < pn; v++) images[base + v] = src[v]!;
      else
        for (let ch = 0; ch < C; ch++)
          for (let v = 0; v < pn; v++) images[base + v * C + ch] = src[ch * pn + v]!;
      const lab = out.volumes.label?.data;
      if (lab) for (let v = 0; v < pn; v++) labels[i * pn + v] = lab[v]!;
    }
    return { index: b, images, imageShape: [B, pz, py, px, C], labels, caseIds, draws, history };
  }
}
