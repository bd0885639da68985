import type * as fsModule from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { guardReadSync, registerWebGpuKernels } from '@voxnas/webgpu-kernels';

/** What `selectWebGpu` / `probeWebGpu` found out about the WebGPU path. */
export interface WebGpuProbe {
  /** True when a WebGPU adapter exists (and, after `selectWebGpu`, tfjs runs on it). */
  readonly available: boolean;
  /** `'browser'` (the page's own `navigator.gpu`) or `'dawn'` (the `webgpu` npm package in Node). */
  readonly runtime: 'browser' | 'dawn' | 'none';
  /** The adapter (vendor / architecture / description), when one was found. */
  readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly description: string; readonly isFallbackAdapter: boolean };
  /** One line: why there is no WebGPU (empty when `available`). */
  readonly reason: string;
  /** Vulkan facts gathered in Node on Linux: loader found, ICD manifests (empty elsewhere). */
  readonly vulkan?: { readonly loader: string | null; readonly icds: readonly string[] };
}

type Load = (specifier: string) => Promise<unknown>;

interface DawnModule {
  create(options: string[]): { requestAdapter(o?: object): Promise<unknown> };
  globals: Record<string, unknown>;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function navigatorGpu(): unknown {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav?.gpu;
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/**
 * Linux only: where the Vulkan loader (`libvulkan.so.1`) is and which ICD manifests (drivers) are
 * installed. Dawn needs both; without the loader it only prints "Couldn't load Vulkan" to stderr.
 */
async function vulkanFacts(load: Load): Promise<{ loader: string | null; icds: string[] } | undefined> {
  if (!isNode() || process.platform !== 'linux') return undefined;
  const fs = (await load('node:fs')) as typeof fsModule;
  const triplet = MULTIARCH[process.arch] ?? `${process.arch}-linux-gnu`;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${triplet}`,
    `/lib/${triplet}`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  const loader = dirs.map((d) => `${d}/libvulkan.so.1`).find((p) => fs.existsSync(p)) ?? null;
  const icds: string[] = [];
  const explicit = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  if (explicit) icds.push(...explicit.split(':').filter(Boolean));
  else {
    for (const d of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
      try {
        icds.push(...fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`));
      } catch {
        // directory absent
      }
    }
  }
  return { loader, icds };
}

function describeAdapter(a: AdapterLike): NonNullable<WebGpuProbe['adapter']> {
  return {
    vendor: a.info?.vendor ?? '',
    architecture: a.info?.architecture ?? '',
    description: a.info?.description ?? '',
    isFallbackAdapter: Boolean(a.info?.isFallbackAdapter ?? a.isFallbackAdapter),
  };
}

/** The adapter line of a probe, e.g. `google swiftshader (fallback adapter)`. */
export function adapterLabel(adapter: NonNullable<WebGpuProbe['adapter']>): string {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return adapter.isFallbackAdapter ? `${name} (fallback adapter)` : name;
}

/**
 * Looks for a WebGPU adapter without touching tfjs: the page's `navigator.gpu` in a browser, or in
 * Node the optional `webgpu` package (Dawn) — on Linux only once the Vulkan loader is present
 * (otherwise Dawn can only fail, after printing its own warnings). When an adapter exists in Node,
 * `installGpu` puts Dawn's `navigator.gpu` and WebGPU constants on `globalThis` for
 * tfjs-backend-webgpu. Never throws: a missing path comes back as `{ available: false, reason }`.
 *
 * @example
 * const probe = await probeWebGpu();
 * console.log(probe.available ? adapterLabel(probe.adapter!) : probe.reason);
 */
export async function probeWebGpu(options: { readonly importModule?: Load; readonly installGpu?: boolean } = {}): Promise<WebGpuProbe> {
  const load = options.importModule ?? ((s: string) => import(/* @vite-ignore */ s));
  const existing = navigatorGpu() as { requestAdapter(o?: object): Promise<unknown> } | undefined;
  if (existing !== undefined) {
    let adapter: AdapterLike | null;
    try {
      adapter = (await existing.requestAdapter({ powerPreference: 'high-performance' })) as AdapterLike | null;
    } catch (error) {
      return { available: false, runtime: 'browser', reason: `navigator.gpu.requestAdapter() failed: ${message(error)}` };
    }
    if (adapter === null) {
      return { available: false, runtime: 'browser', reason: 'navigator.gpu.requestAdapter() returned null (WebGPU blocked or no usable GPU; Chromium without a GPU needs --enable-unsafe-webgpu)' };
    }
    return { available: true, runtime: isNode() ? 'dawn' : 'browser', adapter: describeAdapter(adapter), reason: '' };
  }
  if (!isNode()) return { available: false, runtime: 'none', reason: 'this JavaScript runtime has no navigator.gpu (WebGPU unsupported or disabled)' };

  let dawn: DawnModule;
  try {
    dawn = (await load('webgpu')) as DawnModule;
  } catch (error) {
    return { available: false, runtime: 'none', reason: `the optional package "webgpu" (Dawn for Node) did not load: ${message(error)}` };
  }
  let vulkan: Awaited<ReturnType<typeof vulkanFacts>>;
  try {
    vulkan = await vulkanFacts(load);
  } catch {
    vulkan = undefined;
  }
  if (vulkan !== undefined && vulkan.loader === null) {
    return {
      available: false,
      runtime: 'dawn',
      reason: 'Dawn (npm "webgpu") needs Vulkan on Linux, but libvulkan.so.1 is not installed (install the GPU driver with its Vulkan ICD and libvulkan1)',
      vulkan,
    };
  }
  let adapter: AdapterLike | null;
  let gpu: ReturnType<DawnModule['create']>;
  try {
    gpu = dawn.create([]);
    adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as AdapterLike | null;
  } catch (error) {
    return { available: false, runtime: 'dawn', reason: `Dawn failed to start: ${message(error)}`, vulkan };
  }
  if (adapter === null) {
    const icds = vulkan?.icds.length ? `Vulkan drivers: ${vulkan.icds.map((p) => p.split('/').pop()).join(', ')}` : 'no Vulkan driver (ICD) installed';
    return {
      available: false,
      runtime: 'dawn',
      reason: `Dawn (npm "webgpu") found no adapter (${icds}; Dawn needs a Vulkan 1.1+ driver with the features WebGPU requires — Mesa 22's lavapipe is too old)`,
      vulkan,
    };
  }
  if (options.installGpu) {
    for (const [k, v] of Object.entries(dawn.globals)) {
      if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    }
    const g = globalThis as { navigator?: object };
    if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  return { available: true, runtime: 'dawn', adapter: describeAdapter(adapter), reason: '', vulkan };
}

/**
 * Makes tfjs run on WebGPU: probes the adapter (`probeWebGpu`), loads `@tensorflow/tfjs-backend-webgpu`
 * when its backend is not registered yet (in a browser bundle, import it yourself first), registers
 * @voxnas/webgpu-kernels' fixes, switches to `'webgpu'` and guards synchronous reads of GPU data
 * (`guardReadSync`: they throw instead of returning tfjs's unreliable canvas read-back). Returns the probe; on failure
 * `available` is false, `reason` says why in one line, and the active backend is unchanged.
 * `initBackend({ backend: 'webgpu' })` calls this and falls back to the CPU when it fails.
 *
 * @example
 * const probe = await selectWebGpu();
 * if (!probe.available) console.error(probe.reason);
 */
export async function selectWebGpu(options: { readonly importModule?: Load } = {}): Promise<WebGpuProbe> {
  const load = options.importModule ?? ((s: string) => import(/* @vite-ignore */ s));
  const probe = await probeWebGpu({ importModule: load, installGpu: true });
  if (!probe.available) return probe;
  const fail = (reason: string): WebGpuProbe => ({ ...probe, available: false, reason });
  if (tf.findBackendFactory('webgpu') === undefined) {
    try {
      await load('@tensorflow/tfjs-backend-webgpu');
    } catch (error) {
      return fail(`@tensorflow/tfjs-backend-webgpu did not load: ${message(error)}`);
    }
    if (tf.findBackendFactory('webgpu') === undefined) {
      return fail('@tensorflow/tfjs-backend-webgpu is loaded but registered no "webgpu" backend (it found no navigator.gpu when imported)');
    }
  }
  registerWebGpuKernels();
  try {
    if (!(await tf.setBackend('webgpu'))) return fail("tf.setBackend('webgpu') returned false (device creation failed)");
  } catch (error) {
    return fail(`tf.setBackend('webgpu') failed: ${message(error)}`);
  }
  guardReadSync(tf.backend());
  return probe;
}
