import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { createLosses } from '@voxnas/metrics';
import { getOperator, initBackend, variableGrads } from '@voxnas/ops';
import { Supernet, sampleRandomGenotype } from '@voxnas/supernet';
import type { VoxnasConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { buildNetwork, spaceFromConfig, supernetOptions, type NetworkSpec } from '../pipeline/network.js';

/** The network kinds whose step time a dry run measures. */
export type StepKind = 'search' | 'unet' | 'child';

/** A measured (or given) step time. */
export interface StepTime {
  readonly kind: StepKind;
  /** Seconds of one step at the configured patch and batch size. */
  readonly seconds: number;
  /** How it was obtained: `measured at 32×32×16 × 1, scaled ×13.5 by voxels` or `given (--step-time)`. */
  readonly how: string;
}

/** Largest patch measured (voxels × batch); bigger ones are measured smaller and scaled by voxels. */
export const MEASURE_VOXELS = 16_384;

/**
 * The smallest patch [x, y, z] a config's supernet (and so any network of its space) accepts:
 * 2^(levels−1) times the largest `minInputSize` of its candidate operators — the rule of
 * `@voxnas/supernet`'s networks — or null when a candidate is not registered (a plugin not loaded).
 *
 * @example
 * minimumPatch(config); // [24, 24, 24] for 4 levels of the default candidates
 */
export function minimumPatch(cfg: VoxnasConfig): [number, number, number] | null {
  const space = spaceFromConfig(cfg, 1, 2);
  const min = [1, 1, 1];
  try {
    for (const name of new Set(space.edges.flatMap((e) => e.candidates))) {
      const s = getOperator(name).minInputSize; // z, y, x
      for (let a = 0; a < 3; a++) min[a] = Math.max(min[a]!, s[a]!);
    }
  } catch {
    return null;
  }
  const m = 2 ** (cfg.search.levels - 1);
  return [m * min[2]!, m * min[1]!, m * min[0]!];
}

/**
 * A patch of about `MEASURE_VOXELS` voxels or fewer, made by halving the longest axis: axes stay
 * multiples of 2^(levels−1) (what the networks need) and at least `minimum` (or the configured size
 * when that is smaller), so a large network may stay above the target.
 *
 * @example
 * measurePatch([96, 96, 64], 4, [24, 24, 24]); // [24, 24, 24]
 */
export function measurePatch(patch: readonly [number, number, number], levels: number, minimum: readonly [number, number, number] = [1, 1, 1]): [number, number, number] {
  const m = 2 ** (levels - 1);
  const floor = (k: number) => Math.min(patch[k]!, Math.ceil(minimum[k]! / m) * m);
  const p: [number, number, number] = [...patch];
  while (p[0] * p[1] * p[2] > MEASURE_VOXELS) {
    const next = (k: number) => Math.max(floor(k), Math.floor(p[k]! / 2 / m) * m);
    const i = [0, 1, 2].sort((a, b) => p[b]! - p[a]!).find((k) => next(k) < p[k]!);
    if (i === undefined) break;
    p[i] = next(i);
  }
  return p;
}

/** Seconds of one call (no warm-up: a dry run must stay cheap; the first step's set-up is included). */
function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

/**
 * Measures one step of a network kind at a run config's patch and batch size with random tensors (no
 * data needed; one forward and backward pass each, no warm-up): `search` — twice a pass of the
 * supernet with the configured sampler (a weight step and an α step);
 * `unet` — a training step of the config's U-Net; `child` — a training step of a random genotype of the
 * config's space (standing for searched, random and transferred networks). Patches above
 * {@link MEASURE_VOXELS} voxels are measured smaller (batch 1) and scaled by voxels and batch, so a
 * dry run of a paper-size study never allocates a paper-size step. The backend is the one
 * `initBackend` chooses.
 *
 * @example
 * const t = await measureStepTime({ kind: 'unet', config, channels: 1, classes: 2 });
 * t.seconds; // ≈ 0.4 on 2 cores with the native kernels at 32×32×16
 */
export async function measureStepTime(o: { kind: StepKind; config: VoxnasConfig; channels: number; classes: number }): Promise<StepTime> {
  await initBackend({ logger: () => {} });
  const cfg = o.config;
  const patch = measurePatch(cfg.data.patchSize, cfg.search.levels, minimumPatch(cfg) ?? [1, 1, 1]);
  const scaled = patch[0] * patch[1] * patch[2] !== cfg.data.patchSize.reduce((a, b) => a * b, 1);
  const batch = scaled ? 1 : cfg.data.batchSize;
  const factor = ((cfg.data.patchSize.reduce((a, b) => a * b, 1) / (patch[0] * patch[1] * patch[2])) * cfg.data.batchSize) / batch;
  const [px, py, pz] = patch;
  const losses = createLosses(tf);
  const x = tf.randomNormal([batch, pz, py, px, o.channels], 0, 1, 'float32', 1) as tf.Tensor5D;
  const y = tf.randomUniform([batch, pz, py, px], 0, o.classes, 'int32', 2);
  const space = spaceFromConfig(cfg, o.channels, o.classes);
  let seconds: number;
  try {
    if (o.kind === 'search') {
      const net = new Supernet(space, { rng: new Rng(0), ...supernetOptions(cfg), tau: cfg.search.tauStart, recompute: cfg.search.recompute });
      try {
        const pass = (vars: tf.Variable[]) =>
          tf.tidy(() => {
            const { value, grads } = variableGrads(() => losses.diceCe(net.apply(x), y), vars);
            value.dataSync();
            tf.dispose(grads);
          });
        // A search step after warm-up is a weight step and an α step. With the paper's scheme both draw
        // their paths from α's sampler: two passes of the same cost. With uniform weight steps the weight
        // pass runs one path per edge whatever k is, so each phase is timed on its own.
        if (cfg.search.weightSampler === 'uniform') {
          net.setPhase('weights');
          const weights = time(() => pass(net.weightVariables()));
          net.setPhase('arch');
          seconds = weights + time(() => pass(net.archVariables()));
        } else {
          seconds = 2 * time(() => pass([...net.weightVariables(), ...net.archVariables()]));
        }
      } finally {
        net.dispose();
      }
    } else {
      const spec: NetworkSpec =
        o.kind === 'unet'
          ? {
              kind: 'unet',
              options: { levels: cfg.search.levels, baseChannels: cfg.search.baseChannels, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed', inputChannels: o.channels, classes: o.classes },
            }
          : { kind: 'child', genotype: sampleRandomGenotype(space, new Rng(0).fork('step-time')), origin: 'random' };
      const net = buildNetwork(spec, new Rng(0), { recompute: cfg.train.recompute });
      try {
        seconds = time(() =>
          tf.tidy(() => {
            const { value, grads } = variableGrads(() => losses.diceCe(net.apply(x) as tf.Tensor5D, y), net.trainableVariables());
            value.dataSync();
            tf.dispose(grads);
          }),
        );
      } finally {
        net.dispose();
      }
    }
  } finally {
    x.dispose();
    y.dispose();
  }
  const size = `${px}×${py}×${pz} × ${batch}`;
  return { kind: o.kind, seconds: seconds * factor, how: scaled || factor !== 1 ? `measured at ${size}, scaled ×${Number(factor.toPrecision(3))} by voxels and batch` : `measured at ${size}` };
}

/**
 * Parses `--step-time search=2.5,unet=0.8,child=1.1` (seconds per step; any subset).
 *
 * @example
 * parseStepTimes('search=2.5,unet=0.8'); // { search: 2.5, unet: 0.8 }
 */
export function parseStepTimes(text: string): Partial<Record<StepKind, number>> {
  const out: Partial<Record<StepKind, number>> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(search|unet|child)=(\d+(\.\d+)?([eE][-+]?\d+)?)$/.exec(part);
    if (!m || !(Number(m[2]) > 0)) {
      throw new UsageError(`voxnas experiment run --step-time '${part}': expected kind=seconds with kind search, unet or child (e.g. search=2.5,unet=0.8)`);
    }
    out[m[1] as StepKind] = Number(m[2]);
  }
  return out;
}
