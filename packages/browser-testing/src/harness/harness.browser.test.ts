/** The harness itself: real Chromium, a real SwiftShader WebGPU adapter, the page guard, screenshots. */
import { describe, expect, test } from 'vitest';
import {
  configuredBackend,
  record,
  resetRecord,
  screenshot,
  takePageEvents,
  tf,
  useBackend,
  webgpuAdapter,
} from '../page/index.js';

describe('browser', () => {
  test('is headless Chromium 156+ on this machine', () => {
    const m = /HeadlessChrome\/(\d+)/.exec(navigator.userAgent);
    expect(m, navigator.userAgent).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(120);
  });

  test('WebGPU gives a SwiftShader adapter with limits large enough for 3-D volumes', async () => {
    const a = await webgpuAdapter();
    expect(a).not.toBeNull();
    expect(a!.architecture).toBe('swiftshader');
    expect(a!.vendor).toBe('google');
    // A 128³ volume with 32 float32 channels is 256 MiB: one storage binding must hold it.
    expect(a!.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(256 * 2 ** 20);
    expect(a!.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 2 ** 20);
    expect(a!.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    await resetRecord('adapter');
    await record('adapter', { userAgent: navigator.userAgent, ...a });
  });

  test("tfjs's webgpu device gets the adapter's full buffer limits (not WebGPU's 128/256 MiB defaults)", async () => {
    const a = await webgpuAdapter();
    await useBackend('webgpu');
    const device = (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device;
    expect(device.limits.maxStorageBufferBindingSize).toBe(a!.limits.maxStorageBufferBindingSize);
    expect(device.limits.maxBufferSize).toBe(a!.limits.maxBufferSize);
    await useBackend(configuredBackend());
  });

  test('tfjs runs on the backend this run selected', async () => {
    expect(tf.getBackend()).toBe(configuredBackend());
    const y = tf.square(tf.tensor1d([1, -2, 3]));
    expect(Array.from(await y.data())).toEqual([1, 4, 9]);
    y.dispose();
  });
});

describe('page guard', () => {
  test('sees console errors', async () => {
    await takePageEvents();
    console.error('voxnas-guard-probe');
    const ev = await takePageEvents();
    expect(ev.consoleErrors.some((m) => m.includes('voxnas-guard-probe'))).toBe(true);
  });

  test('aborts and reports requests to other hosts, lets localhost through', async () => {
    await takePageEvents();
    const local = await fetch(location.href);
    expect(local.ok).toBe(true);
    await expect(fetch('http://voxnas-guard-probe.example/x')).rejects.toThrow();
    const ev = await takePageEvents();
    expect(ev.foreignRequests).toEqual(['http://voxnas-guard-probe.example/x']);
    // The aborted fetch logs "Failed to load resource" as a console error; that one is expected here.
    expect(
      ev.consoleErrors.every((m) => m.includes('ERR_BLOCKED_BY_CLIENT') || m.includes('Failed to load')),
    ).toBe(true);
  });
});

describe('screenshots', () => {
  test('a tfjs-rendered slice is saved as a PNG in artifacts/', async () => {
    // One axial slice of a small synthetic volume, rendered through tf.browser.toPixels.
    const canvas = document.createElement('canvas');
    document.body.replaceChildren(canvas);
    const img = tf.tidy(() => {
      const r = tf.linspace(-1, 1, 96);
      const yy = tf.reshape(r, [96, 1]);
      const xx = tf.reshape(r, [1, 96]);
      const d = tf.sqrt(tf.add(tf.square(yy), tf.square(xx)));
      return tf.clipByValue(tf.sub(1, d), 0, 1) as tf.Tensor2D;
    });
    await tf.browser.toPixels(img, canvas);
    img.dispose();
    const shot = await screenshot('harness/slice');
    expect(shot.path).toMatch(/artifacts\/harness\/slice\.png$/);
    expect(shot.bytes).toBeGreaterThan(100);
    expect(shot.width).toBeGreaterThan(0);
  });
});
