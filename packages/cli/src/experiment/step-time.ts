import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { createLosses } from '@voxnas/metrics';
import { initBackend } from '@voxnas/ops';
import { Supernet, sampleRandomGenotype, type SamplerConfig } from '@voxnas/supernet';
import type { VoxnasConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { buildNetwork, spaceFromConfig, type NetworkSpec } from '../pipeline/network.js';

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

/** A patch no larger than `MEASURE_VOXELS`, keeping multiples of 2^levels (halving the longest axis). */
export function measurePatch(patch: readonly [number, number, number], levels: number): [number, number, number] {
  const m = 2 ** levels;
  const p: [number, number, number] = [...patch];
  while (p[0] * p[1] * p[2] > MEASURE_VOXELS) {
    const i = p.indexOf(Math.max(...p));
    const next = Math.max(m, Math.floor(p[i]! / 2 / m) * m);
    if (next === p[i]) break;
    p[i] = next;
  }
  return p;
}

function time(fn: () => void): number {
  fn(); // warm-up: kernel set-up and first allocations
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

/**
 * Measures one step of a network kind at a run config's patch and batch size with random tensors (no
 * data needed): `search` — a weight step and an α step of the supernet with the configured sampler;
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
  const patch = measurePatch(cfg.data.patchSize, cfg.search.levels);
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
      const sampler: SamplerConfig = cfg.search.sampler === 'gumbel' ? { kind: 'gumbel', k: cfg.search.k } : { kind: cfg.search.sampler };
      const net = new Supernet(space, { rng: new Rng(0), sampler, tau: cfg.search.tauStart });
      try {
        const pass = (vars: tf.Variable[]) =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => losses.diceCe(net.apply(x), y), vars);
            value.dataSync();
            tf.dispose(grads);
          });
        // a search step after warm-up: one weight step and one α step
        seconds = time(() => pass(net.weightVariables())) + time(() => pass(net.archVariables()));
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
      const net = buildNetwork(spec, new Rng(0));
      try {
        seconds = time(() =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => losses.diceCe(net.apply(x) as tf.Tensor5D, y), net.trainableVariables());
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
