// Node: tfjs-backend-webgpu registers its kernels on import even without navigator.gpu, so the
// registry swap can be checked here; the kernels' numbers are checked in a real browser
// (packages/browser-testing/src/voxnas/webgpu-kernels.browser.test.ts).
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BINARY_KERNELS } from './binary.js';
import { registerWebGpuKernels, unregisterWebGpuKernels, webGpuKernelStatus } from './register.js';

const NAMES = [tf.PadV2, tf.StridedSlice, tf.AddN, tf.Select, ...BINARY_KERNELS];

describe('registerWebGpuKernels', () => {
  afterAll(() => unregisterWebGpuKernels());

  it('wraps the webgpu kernels, idempotently, and unregister restores tfjs-backend-webgpu’s own', () => {
    const originals = NAMES.map((n) => tf.getKernel(n, 'webgpu'));
    expect(originals.every((k) => k !== undefined)).toBe(true);
    const status = registerWebGpuKernels();
    expect(status).toEqual({ loaded: true, kernels: NAMES });
    const ours = NAMES.map((n) => tf.getKernel(n, 'webgpu'));
    ours.forEach((k, i) => expect(k).not.toBe(originals[i]));
    registerWebGpuKernels();
    NAMES.forEach((n, i) => expect(tf.getKernel(n, 'webgpu')).toBe(ours[i]));
    unregisterWebGpuKernels();
    NAMES.forEach((n, i) => expect(tf.getKernel(n, 'webgpu')).toBe(originals[i]));
    expect(webGpuKernelStatus).toEqual({ loaded: false, kernels: [], reason: 'unregisterWebGpuKernels() restored the tfjs-backend-webgpu kernels' });
    // cpu kernels are never touched
    expect(tf.getKernel(tf.PadV2, 'cpu')?.backendName).toBe('cpu');
  });
});
