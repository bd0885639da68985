import { createRequire } from 'node:module';
import { availableParallelism, cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';
import { gpuReport } from '@voxnas/ops/node';

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
  /**
   * Why the native oneDNN kernels are (not) loaded, with the exact fix: `state` is `loaded`,
   * `build-not-run` (pnpm 10 skipped the build script), `onednn-missing`, `compiler-missing`,
   * `build-failed`, `build-skipped`, `load-failed`, or `not-installed` (no @voxnas/kernels).
   */
  native: { state: string; detail: string; fix?: string; source?: string };
  fastKernels: readonly string[];
  notes: readonly string[];
  packages: Record<string, string>;
  /**
   * GPU paths (`gpuReport` of @voxnas/ops/node): the WebGPU adapter or why there is none (Dawn,
   * Vulkan loader and drivers), tfjs-node-gpu installed or not, its libtensorflow, and how a site
   * points its installer at its own copy (TFJS_NODE_CDN_STORAGE, custom-binary.json). One line each.
   */
  gpu: readonly string[];
}

const PACKAGES = [
  'voxnas',
  '@voxnas/volume',
  '@voxnas/metrics',
  '@voxnas/ops',
  '@voxnas/kernels',
  '@voxnas/kernels-linux-x64',
  '@voxnas/supernet',
  '@voxnas/unet',
  '@voxnas/train',
  '@voxnas/search',
] as const;

const dynamicImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

interface KernelsDiagnose {
  diagnoseNative?: () => { state: string; detail: string; fix?: string; source?: string };
}

/** The native-kernel diagnosis of @voxnas/kernels (an optional dependency), or why there is none. */
async function nativeDiagnosis(): Promise<DoctorReport['native']> {
  let kernels: KernelsDiagnose;
  try {
    // Not a literal import: the bundler must leave the optional dependency to Node, so this is the
    // same @voxnas/kernels (and the same addon) that initBackend loaded.
    kernels = (await dynamicImport('@voxnas/kernels')) as KernelsDiagnose;
  } catch (error) {
    return {
      state: 'not-installed',
      detail: `@voxnas/kernels is not installed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
      fix: 'npm install @voxnas/kernels (pnpm add / yarn add @voxnas/kernels)',
    };
  }
  if (!kernels.diagnoseNative) return { state: 'unknown', detail: '@voxnas/kernels is too old to diagnose itself' };
  const d = kernels.diagnoseNative();
  return { state: d.state, detail: d.detail, ...(d.fix ? { fix: d.fix } : {}), ...(d.source ? { source: d.source } : {}) };
}

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
 * were not used), native kernels (and, when they are not loaded, the cause and the exact fix),
 * threads, versions.
 *
 * @example
 * const r = await doctor();
 * if (r.native.state !== 'loaded') console.log(`native kernels: ${r.native.detail}\nfix: ${r.native.fix}`);
 */
export async function doctor(): Promise<DoctorReport> {
  const choice = await initBackend({ logger: () => {} });
  const native = await nativeDiagnosis();
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
    native,
    fastKernels: choice.fastKernels,
    notes: choice.notes,
    packages: packageVersions(),
    // GPU paths (issue 19): WebGPU / tfjs-node-gpu, and why not.
    gpu: (await gpuReport()).lines,
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
    `oneDNN      ${r.native.state}${r.native.source ? ` (${r.native.source})` : ''}: ${r.native.detail}`,
    ...(r.native.fix ? [`fix         ${r.native.fix}`] : []),
    `typed-array ${r.fastKernels.length ? r.fastKernels.join(', ') : 'none (tfjs-cpu JavaScript kernels)'}`,
    ...r.notes.map((n) => `note        ${n}`),
    ...Object.entries(r.packages).map(([k, v]) => `${k.padEnd(17)} ${v}`),
    // GPU paths (issue 19)
    ...r.gpu,
  ];
  return lines.join('\n');
}
