import type { Network } from '@voxnas/ops';
import {
  CELL_TYPES,
  ChildNetwork,
  createSearchSpace,
  validateGenotype,
  type CellRecompute,
  type SamplerConfig,
  type SearchSpace,
  type SupernetOptions,
} from '@voxnas/supernet';
import { UNet } from '@voxnas/unet';
import type { NetworkSpec } from '../run-files.js';
import type { Rng } from '@voxnas/core';
import type { VoxnasConfig } from '../config.js';

export type { NetworkSpec } from '../run-files.js';

/** The search space a config describes (also the space random architectures are drawn from). */
export function spaceFromConfig(cfg: VoxnasConfig, channels: number, classes: number): SearchSpace {
  return createSearchSpace({
    levels: cfg.search.levels,
    baseChannels: cfg.search.baseChannels,
    nodes: cfg.search.nodes,
    inputChannels: channels,
    classes,
    ...(cfg.search.candidates.length > 0
      ? {
          candidates: Object.fromEntries(
            CELL_TYPES.map((t) => [t, cfg.search.candidates]),
          ),
        }
      : {}),
  });
}

/** The path sampler of a config's search (`search.sampler`, with `search.k` paths for `gumbel`). */
export function searchSampler(cfg: VoxnasConfig): SamplerConfig {
  return cfg.search.sampler === 'gumbel' ? { kind: 'gumbel', k: cfg.search.k } : { kind: cfg.search.sampler };
}

/**
 * The supernet options a config sets: `sampler` (α's passes, and the weight passes too under the paper's
 * scheme), with `search.weightSampler: uniform` a uniform `weightSampler` for the weight passes, and the
 * α layout (`search.alphaSharing`). Every supernet built from a run's config (the search, its
 * checkpoints' readers) takes these, so its variables match the checkpoints.
 */
export function supernetOptions(cfg: VoxnasConfig): Pick<SupernetOptions, 'sampler' | 'weightSampler' | 'alphaSharing'> {
  return {
    sampler: searchSampler(cfg),
    ...(cfg.search.weightSampler === 'uniform' ? { weightSampler: { kind: 'uniform' } as const } : {}),
    alphaSharing: cfg.search.alphaSharing,
  };
}

/**
 * Builds the network of `spec` with initial weights from `rng`; `recompute` (`train.recompute`) turns on
 * activation recomputation in training: as given for a searched network, per level for the U-Net
 * (`cell` or `edge`).
 */
export function buildNetwork(spec: NetworkSpec, rng: Rng, options: { readonly recompute?: CellRecompute } = {}): Network {
  const mode = options.recompute ?? 'none';
  if (spec.kind === 'unet') return new UNet({ ...spec.options, rng, recompute: mode === 'none' ? 'none' : 'level' });
  return new ChildNetwork(validateGenotype(spec.genotype, { source: 'network.json' }), rng).setRecompute(mode);
}

/** Trainable parameter count of a network. */
export function countParameters(net: Network): number {
  return net.trainableVariables().reduce((a, v) => a + v.size, 0);
}

/**
 * A U-Net with the search's levels whose width is chosen so that its parameter count is closest to
 * `targetParams` (a fair baseline for a searched network of that size).
 */
export function matchedUNetSpec(
  levels: number,
  channels: number,
  classes: number,
  targetParams: number,
  rng: Rng,
): { spec: NetworkSpec; params: number } {
  let best: { spec: NetworkSpec; params: number } | null = null;
  for (let width = 2; width <= 64; width++) {
    const options = { levels, baseChannels: width, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed', inputChannels: channels, classes } as const;
    const net = new UNet({ ...options, rng });
    const params = countParameters(net);
    net.dispose();
    if (best === null || Math.abs(params - targetParams) < Math.abs(best.params - targetParams)) {
      best = { spec: { kind: 'unet', options }, params };
    }
    if (params > targetParams) break;
  }
  return best!;
}
