import { saveWeights } from '@voxnas/ops/node';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type Network } from '@voxnas/ops';
import { Rng } from '@voxnas/core';
import { resolveConfig, type VoxnasConfig } from '../src/config.js';
import { prepareData } from '../src/pipeline/data.js';
import { buildNetwork, type NetworkSpec } from '../src/pipeline/network.js';

/** A small U-Net matching the phantom dataset (2 channels, 4 classes), for tests. */
export const TINY_UNET_SPEC = {
  kind: 'unet',
  options: { levels: 2, baseChannels: 4, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed', inputChannels: 2, classes: 4 },
} satisfies NetworkSpec;

/**
 * Test fixture: a train run directory built by hand from the pieces `voxnas train` uses (prepareData,
 * buildNetwork, saveWeights) with untrained weights drawn from `new Rng(weightsSeed).fork('init')`, so
 * tests of the commands that read runs need no training steps. The network is returned for the caller
 * to use and dispose.
 */
export async function handBuiltRun(options: {
  prefix: string;
  config: unknown;
  weightsSeed: number;
  spec?: NetworkSpec;
}): Promise<{ root: string; run: string; cfg: VoxnasConfig; network: Network }> {
  await initBackend({ logger: () => {} });
  const root = await mkdtemp(join(tmpdir(), options.prefix));
  const run = join(root, 'run');
  await mkdir(run);
  const cfg = resolveConfig(options.config);
  await prepareData(cfg, run);
  const spec = options.spec ?? TINY_UNET_SPEC;
  await writeFile(join(run, 'config.json'), JSON.stringify({ format: 'voxnas-run@1', config: cfg }));
  await writeFile(join(run, 'network.json'), JSON.stringify(spec));
  const network = buildNetwork(spec, new Rng(options.weightsSeed).fork('init'));
  await saveWeights(network, join(run, 'model'));
  return { root, run, cfg, network };
}
