/** tfjs in the page: registers the cpu and webgpu backends and all gradients, selects one. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { inject } from 'vitest';
import type { BrowserBackend } from '../backends.js';

export { tf };

/** The backend this run selected (`VOXNAS_BROWSER_BACKEND` on the Node side, default `webgpu`). */
export function configuredBackend(): BrowserBackend {
  return inject('voxnasBackend');
}

/**
 * tfjs-backend-webgpu runs small ops (under 1000 elements, inputs still on the CPU) with its cpu
 * kernels (`WEBGPU_CPU_FORWARD`). The harness turns that off, so a webgpu test really runs WGSL
 * shaders; pass `cpuForward: true` to test what an application with default flags gets.
 */
export interface UseBackendOptions {
  cpuForward?: boolean;
}

/** Switches tfjs to `name` and waits until it is ready; throws if the backend cannot start. */
export async function useBackend(
  name: BrowserBackend = configuredBackend(),
  { cpuForward = false }: UseBackendOptions = {},
): Promise<BrowserBackend> {
  if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
  if (tf.getBackend() === name) return name;
  const t0 = performance.now();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend ${name} failed to initialise in this page`);
  await tf.ready();
  if (!initTimes.has(name)) initTimes.set(name, performance.now() - t0);
  return name;
}

const initTimes = new Map<BrowserBackend, number>();

/** Milliseconds the first `useBackend(name)` in this page spent creating the backend (webgpu: adapter + device). */
export function backendInitMs(name: BrowserBackend): number | undefined {
  return initTimes.get(name);
}

/** What `navigator.gpu.requestAdapter()` returns here, or null when WebGPU is unavailable. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  limits: Record<string, number>;
  features: string[];
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
] as const;

interface MinimalAdapter {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: Iterable<string>;
}

export async function webgpuAdapter(): Promise<AdapterSummary | null> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<MinimalAdapter | null> } }).gpu;
  if (!gpu) return null;
  const a = await gpu.requestAdapter();
  if (!a) return null;
  const limits: Record<string, number> = {};
  for (const k of LIMIT_NAMES) limits[k] = Number(a.limits[k]);
  return {
    vendor: a.info?.vendor ?? '',
    architecture: a.info?.architecture ?? '',
    description: a.info?.description ?? '',
    isFallbackAdapter: Boolean(a.info?.isFallbackAdapter ?? a.isFallbackAdapter),
    limits,
    features: [...a.features].sort(),
  };
}
