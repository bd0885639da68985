import { createRequire } from 'node:module';
import { availableParallelism, cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';

/** What `voxnas doctor` reports. */
export interface DoctorReport {
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  tfjs: string;
  backend: string;
  provider: string;
  nativeKernels: readonly string[];
  fastKernels: readonly string[];
  notes: readonly string[];
  packages: Record<string, string>;
}

const PACKAGES = [
  'voxnas',
  '@voxnas/volume',
  '@voxnas/metrics',
  '@voxnas/ops',
  '@voxnas/kernels',
  '@voxnas/supernet',
  '@voxnas/unet',
  '@voxnas/train',
  '@voxnas/search',
] as const;

/** Versions of the voxnas packages resolvable from here ('not installed' otherwise). */
export function packageVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      out[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

/**
 * Collects the facts that decide how fast and where voxnas runs: the chosen backend (and why others
 * were not used), native kernels, threads, versions.
 */
export async function doctor(): Promise<DoctorReport> {
  const choice = await initBackend({ logger: () => {} });
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    tfjs: tf.version_core,
    backend: choice.backend,
    provider: choice.provider,
    nativeKernels: choice.nativeKernels,
    fastKernels: choice.fastKernels,
    notes: choice.notes,
    packages: packageVersions(),
  };
}

/** Human-readable lines of a {@link DoctorReport}. */
export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `node        ${r.node} (${r.platform})`,
    `cpu         ${r.cpu}, ${r.cores} threads, ${r.memoryGiB} GiB`,
    `tfjs-core   ${r.tfjs}`,
    `backend     ${r.backend} via ${r.provider}`,
    `native      ${r.nativeKernels.length ? r.nativeKernels.join(', ') : 'none (JavaScript kernels)'}`,
    `typed-array ${r.fastKernels.length ? r.fastKernels.join(', ') : 'none (tfjs-cpu JavaScript kernels)'}`,
    ...r.notes.map((n) => `note        ${n}`),
    ...Object.entries(r.packages).map(([k, v]) => `${k.padEnd(17)} ${v}`),
  ];
  return lines.join('\n');
}
