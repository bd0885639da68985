import { resolve } from 'node:path';
import { atomicWriteJson } from '@voxnas/core/node';
import { openDataset, type DatasetPlan } from '@voxnas/datasets';
import { defineCommand } from '../command.js';
import { applyOverrides, readConfigFile, resolveConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { fingerprintSource, givenPaths, planFromConfig } from '../pipeline/data.js';

/** Flags of `voxnas plan`. */
export interface PlanFlags {
  /** Where plan.json is written (default `plan.json`). */
  out?: string;
  /** A run config whose network (search.levels…) and data fields (spacingMm, normalization, patchSize, batchSize) the plan follows. */
  config?: string;
  set?: string[];
}

/** What `voxnas plan` wrote. */
export interface PlanSummary {
  readonly path: string;
  readonly plan: DatasetPlan;
}

/**
 * `voxnas plan <dataset>`: fingerprints a dataset directory (MSD, nnU-Net v2 or folder pairs; each
 * training case read once) and writes `plan.json` — per case shape, spacing, orientation and non-zero
 * box; per channel foreground intensity statistics; class frequencies and smallest structures; the
 * target spacing, resampling, cropping, normalisation per channel, patch and batch size — with one
 * line per decision. A run uses it with `data.plan: <path>`; without it, a run plans the same way when
 * it starts.
 *
 * @example
 * const { path, plan } = await runPlan('data/Task04_Hippocampus', { out: 'plans/hippocampus.json' });
 * plan.decisions.forEach((line) => console.log(line));
 */
export async function runPlan(dataset: string, flags: PlanFlags, log: (line: string) => void = () => {}): Promise<PlanSummary> {
  const partial = applyOverrides(flags.config ? await readConfigFile(flags.config) : {}, flags.set ?? []);
  const cfg = resolveConfig({ ...partial, data: { ...((partial.data as object | undefined) ?? {}), dataset } }, flags.config ?? '--set');
  const root = resolve(dataset);
  const source = await openDataset(root, { validate: 'files' });
  log(`voxnas plan: fingerprinting ${source.caseIds.length} case(s) of ${root}`);
  const plan = planFromConfig(cfg, await fingerprintSource(source), givenPaths(partial));
  const path = resolve(flags.out ?? 'plan.json');
  await atomicWriteJson(path, plan);
  return { path, plan };
}

/** `voxnas plan`. */
export const planCommand = defineCommand({
  name: 'plan',
  summary: 'fingerprint a dataset and plan its preparation (spacing, cropping, normalisation, patch and batch size); writes plan.json',
  usage: '<dataset-dir> [--out plan.json] [--config <file>] [--set key=value]… [--json]',
  positionals: { value: '<dataset-dir>', description: 'an MSD, nnU-Net v2 or images/ + labels/ dataset directory' },
  flags: {
    out: { type: 'string', value: '<plan.json>', description: 'where the plan is written', default: 'plan.json' },
    config: {
      type: 'string',
      value: '<file>',
      description: 'a run config: its network (search.levels) and data.spacingMm / normalization / patchSize / batchSize shape the plan',
      default: 'none: every field at its default',
    },
    set: { type: 'string', multiple: true, value: '<key.path=value>', description: 'override one config field, e.g. --set search.levels=4' },
    json: { type: 'boolean', description: 'print the whole plan as JSON' },
  },
  async run({ flags, positionals, io, log }) {
    if (positionals.length !== 1) throw new UsageError(`voxnas plan: expected one dataset directory, got ${positionals.length}`);
    const r = await runPlan(positionals[0]!, flags, log);
    io.out(flags.json ? JSON.stringify(r.plan, null, 2) : [...r.plan.decisions.map((l) => `- ${l}`), `plan written: ${r.path}`].join('\n'));
    return 0;
  },
});
