import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { BackendError } from './errors.js';

const failing = (unavailable: readonly string[]) => async (specifier: string) => {
  if (unavailable.includes(specifier)) throw new Error(`Cannot find module '${specifier}'`);
  return import(/* @vite-ignore */ specifier);
};

describe('initBackend', () => {
  it('VOXNAS_BACKEND=cpu selects the pure-JS kernels and logs one line', async () => {
    const lines: string[] = [];
    const choice = await initBackend({ backend: 'cpu', logger: (l) => lines.push(l) });
    expect(choice).toMatchObject({ backend: 'cpu', native: false, provider: '@tensorflow/tfjs-backend-cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toMatchInlineSnapshot(`
      [
        "voxnas backend: cpu (@tensorflow/tfjs-backend-cpu) [VOXNAS_BACKEND=cpu]",
      ]
    `);
  });

  it('auto falls back from tfjs-node-gpu and tfjs-node to the CPU backend, saying why', async () => {
    const lines: string[] = [];
    const choice = await initBackend({
      backend: 'auto',
      logger: (l) => lines.push(l),
      importModule: failing(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@voxnas/kernels']),
    });
    expect(choice.backend).toBe('cpu');
    expect(choice.native).toBe(false);
    expect(choice.notes).toMatchInlineSnapshot(`
      [
        "@tensorflow/tfjs-node-gpu unavailable: Cannot find module '@tensorflow/tfjs-node-gpu'",
        "@tensorflow/tfjs-node unavailable: Cannot find module '@tensorflow/tfjs-node'",
        "@voxnas/kernels unavailable: Cannot find module '@voxnas/kernels'",
      ]
    `);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchInlineSnapshot(`"voxnas backend: cpu (@tensorflow/tfjs-backend-cpu) — pure JS; @voxnas/kernels unavailable: Cannot find module '@voxnas/kernels'"`);
  });

  it('reads VOXNAS_BACKEND from the environment', async () => {
    const saved = process.env.VOXNAS_BACKEND;
    process.env.VOXNAS_BACKEND = 'cpu';
    try {
      const choice = await initBackend({ logger: () => {} });
      expect(choice.summary).toContain('[VOXNAS_BACKEND=cpu]');
    } finally {
      if (saved === undefined) delete process.env.VOXNAS_BACKEND;
      else process.env.VOXNAS_BACKEND = saved;
    }
  });

  it('fails with BackendError when a requested backend cannot be set', async () => {
    await expect(
      initBackend({ backend: 'tensorflow', logger: () => {}, importModule: failing(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) }),
    ).rejects.toThrow(BackendError);
    await expect(
      initBackend({ backend: 'native', logger: () => {}, importModule: failing(['@voxnas/kernels']) }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(`[BackendError: initBackend: VOXNAS_BACKEND=native but @voxnas/kernels did not load (@voxnas/kernels unavailable: Cannot find module '@voxnas/kernels')]`);
    await expect(initBackend({ backend: 'webgpu-xyz', logger: () => {} })).rejects.toThrow(BackendError);
  });

  it('auto with the real optional packages ends on cpu, native exactly when @voxnas/kernels loaded', async () => {
    const choice = await initBackend({ logger: () => {}, backend: 'auto' });
    expect(choice.backend).toBe('cpu');
    let loaded = false;
    try {
      const kernels = (await import(/* @vite-ignore */ '@voxnas/kernels')) as { nativeStatus: { loaded: boolean } };
      loaded = kernels.nativeStatus.loaded;
    } catch {
      loaded = false;
    }
    expect(choice.native).toBe(loaded);
    // cpu unregisters every @voxnas/kernels kernel; auto afterwards registers them all again
    const js = await initBackend({ backend: 'cpu', logger: () => {} });
    expect([js.native, js.fastKernels.length, tf.getKernel('VoxnasGroupNorm', 'cpu')]).toEqual([false, 0, undefined]);
    const again = await initBackend({ logger: () => {}, backend: 'auto' });
    expect([again.native, again.nativeKernels]).toEqual([choice.native, choice.nativeKernels]);
    expect(again.fastKernels).toEqual(choice.fastKernels);
    // Leave the pure-JS kernels in place for any later test in this process.
    await initBackend({ backend: 'cpu', logger: () => {} });
  });

  it('threads sets the native kernels\' OpenMP threads, and a bad count is refused before anything loads', async () => {
    for (const bad of [0, 1.5, -2]) {
      await expect(initBackend({ threads: bad, logger: () => {} })).rejects.toThrow(`initBackend: threads must be a positive integer, got ${bad}`);
    }
    const before = await initBackend({ logger: () => {} });
    if (!before.native) return; // no addon on this machine: the option has nothing to set
    const kernels = (await import(/* @vite-ignore */ '@voxnas/kernels')) as { nativeStatus: { threads: number }; setNativeThreads: (n: number) => void };
    const initial = kernels.nativeStatus.threads;
    const lines: string[] = [];
    try {
      // One more than the default, so the assertion cannot pass by the default alone.
      await initBackend({ threads: initial + 1, logger: (l) => lines.push(l) });
      expect(kernels.nativeStatus.threads).toBe(initial + 1);
      expect(lines[0]).toContain(`@voxnas/kernels native (${initial + 1} threads,`);
    } finally {
      kernels.setNativeThreads(initial);
      await initBackend({ backend: 'cpu', logger: () => {} });
    }
  });

  it('webgpu without the optional Dawn package: one line saying why, then the CPU path', async () => {
    const lines: string[] = [];
    const choice = await initBackend({ backend: 'webgpu', logger: (l) => lines.push(l), importModule: failing(['webgpu', '@voxnas/kernels']) });
    expect([choice.backend, tf.getBackend(), choice.webgpu?.available]).toEqual(['cpu', 'cpu', false]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchInlineSnapshot(`"voxnas backend: cpu (@tensorflow/tfjs-backend-cpu) [VOXNAS_BACKEND=webgpu] — fell back: WebGPU unavailable: the optional package "webgpu" (Dawn for Node) did not load: Cannot find module 'webgpu'"`);
    await initBackend({ backend: 'cpu', logger: () => {} });
  });

  it('webgpu in Node on this machine (Dawn, no Vulkan adapter): fails in one clear line and falls back', async () => {
    const lines: string[] = [];
    const auto = await initBackend({ logger: () => {} });
    const choice = await initBackend({ backend: 'webgpu', logger: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(1);
    if (choice.webgpu?.available) {
      // A machine with a Vulkan GPU: WebGPU really was selected.
      expect(choice.backend).toBe('webgpu');
      return;
    }
    // No adapter: the auto choice, and the reason first among the notes.
    expect([choice.backend, choice.native, tf.getBackend()]).toEqual([auto.backend, auto.native, auto.backend]);
    expect(choice.notes[0]).toMatch(/^WebGPU unavailable: /);
    expect(lines[0]).toContain(`[VOXNAS_BACKEND=webgpu] — fell back: ${choice.notes[0]}`);
    if (choice.webgpu?.vulkan?.loader === null) {
      expect(choice.notes[0]).toMatchInlineSnapshot(`"WebGPU unavailable: Dawn (npm "webgpu") needs Vulkan on Linux, but libvulkan.so.1 is not installed (install the GPU driver with its Vulkan ICD and libvulkan1)"`);
    }
    await initBackend({ backend: 'cpu', logger: () => {} });
  });
});
