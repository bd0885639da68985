import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readNiftiWithHeader } from '@voxnas/volume/node';
import { spacingMm } from '@voxnas/volume';
import type { Volume } from '@voxnas/volume';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';

/** Summary of a volume file. */
export interface VolumeInfo {
  kind: 'volume';
  path: string;
  shape: readonly number[];
  channels: number;
  dtype: string;
  spacingMm: number[];
  affine: number[][];
  min: number;
  max: number;
  mean: number;
  warnings: readonly string[];
}

/** Summary of a run directory. */
export interface RunInfo {
  kind: 'run';
  path: string;
  config: unknown;
  files: string[];
  logLines: number;
  lastLog: unknown;
}

function stats(v: Volume): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const d = v.data;
  for (let i = 0; i < d.length; i++) {
    const x = d[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { min, max, mean: sum / d.length };
}

/** Describes a NIfTI volume or a run directory (config, products, last log line). */
export async function info(path: string): Promise<VolumeInfo | RunInfo> {
  const st = await stat(path);
  if (st.isDirectory()) {
    const files = (await readdir(path)).sort();
    const config = files.includes('config.json') ? JSON.parse(await readFile(join(path, 'config.json'), 'utf8')) : null;
    let logLines = 0;
    let lastLog: unknown = null;
    if (files.includes('log.jsonl')) {
      const lines = (await readFile(join(path, 'log.jsonl'), 'utf8')).split('\n').filter(Boolean);
      logLines = lines.length;
      lastLog = lines.length ? JSON.parse(lines[lines.length - 1]!) : null;
    }
    return { kind: 'run', path, config, files, logLines, lastLog };
  }
  const { volume, warnings } = await readNiftiWithHeader(path);
  const a = volume.affine;
  return {
    kind: 'volume',
    path,
    shape: volume.shape,
    channels: volume.channels,
    dtype: volume.dtype,
    spacingMm: spacingMm(volume).map((s) => Math.round(s * 1e6) / 1e6),
    affine: [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => a[r * 4 + c]!)),
    ...stats(volume),
    warnings,
  };
}

/** Human-readable text of {@link info}'s result. */
export function formatInfo(i: VolumeInfo | RunInfo): string {
  if (i.kind === 'run') {
    return [
      `run         ${i.path}`,
      `files       ${i.files.join(', ')}`,
      `log         ${i.logLines} line(s)`,
      `last        ${JSON.stringify(i.lastLog)}`,
    ].join('\n');
  }
  return [
    `volume      ${i.path}`,
    `shape       ${i.shape.join(' × ')} × ${i.channels} channel(s), ${i.dtype}`,
    `spacing     ${i.spacingMm.join(' × ')} mm`,
    `affine      ${i.affine.map((r) => `[${r.map((x) => x.toFixed(3)).join(' ')}]`).join('\n            ')}`,
    `values      min ${i.min}, max ${i.max}, mean ${i.mean.toFixed(4)}`,
    ...i.warnings.map((w) => `warning     ${w}`),
  ].join('\n');
}

/** `voxnas info`. */
export const infoCommand = defineCommand({
  name: 'info',
  summary: 'describe a NIfTI volume or a run directory',
  usage: '<file.nii[.gz] | run-dir> [--json]',
  positionals: { value: '<file.nii[.gz] | run-dir>', description: 'a NIfTI file (shape, spacing, affine, value range) or a run directory (files, log)' },
  flags: { json: { type: 'boolean', description: 'print the description as JSON' } },
  async run({ flags, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError(`voxnas info: expected one path, got ${positionals.length}`);
    const r = await info(positionals[0]!);
    io.out(flags.json ? JSON.stringify(r, null, 2) : formatInfo(r));
    return 0;
  },
});
