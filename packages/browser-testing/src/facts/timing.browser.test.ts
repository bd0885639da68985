/**
 * Timings on SwiftShader vs cpu in the same page. SwiftShader is a correctness platform (WebGPU on
 * the CPU through a Vulkan emulator): these numbers are no speed claim for a real GPU.
 */
import { beforeAll, expect, test } from 'vitest';
import { backendInitMs, normalArray, record, resetRecord, tf, useBackend } from '../page/index.js';

beforeAll(async () => {
  await resetRecord('facts-timing');
});

async function timeIt(fn: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = fn();
  await y.data();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

test('WebGPU device creation and the first ops (shader compile) on SwiftShader', async () => {
  const gpu = (
    navigator as unknown as {
      gpu: { requestAdapter(): Promise<{ requestDevice(): Promise<{ destroy(): void }> }> };
    }
  ).gpu;
  const t0 = performance.now();
  const adapter = await gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const deviceMs = performance.now() - t0;
  device.destroy();

  await useBackend('webgpu');
  // A kernel/shape pair no other test file uses, so neither tfjs's pipeline cache nor an earlier
  // file's compile helps: the first call pays WGSL → SPIR-V → SwiftShader JIT.
  const x = tf.tensor(normalArray(1 * 9 * 10 * 11 * 5, 901), [1, 9, 10, 11, 5]);
  const w = tf.tensor(normalArray(2 * 2 * 2 * 5 * 6, 902, 0.3), [2, 2, 2, 5, 6]);
  const first = await timeIt(() => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same'));
  const second = await timeIt(() => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same'));
  const firstAdd = await timeIt(() => tf.addN([x, x, x]));
  const secondAdd = await timeIt(() => tf.addN([x, x, x]));
  tf.dispose([x, w]);
  const row = {
    name: 'webgpu first ops',
    deviceMs,
    tfjsBackendInitMs: backendInitMs('webgpu'),
    conv3dFirstMs: first,
    conv3dSecondMs: second,
    addNFirstMs: firstAdd,
    addNSecondMs: secondAdd,
  };
  await record('facts-timing', row);
  console.log(JSON.stringify(row));
  expect(first).toBeGreaterThan(second);
});

test('conv3d [1,32,32,32,8] → 8 channels, 3×3×3 same, forward: webgpu (SwiftShader) vs cpu', async () => {
  const x = {
    values: normalArray(32 * 32 * 32 * 8, 911),
    shape: [1, 32, 32, 32, 8] as [number, number, number, number, number],
  };
  const w = {
    values: normalArray(27 * 8 * 8, 912, 0.2),
    shape: [3, 3, 3, 8, 8] as [number, number, number, number, number],
  };
  const flops = 2 * 32 * 32 * 32 * 8 * 8 * 27;
  const rows: Record<string, number> = {};
  const results: Record<string, Float32Array> = {};
  for (const [backend, reps] of [
    ['webgpu', 3],
    ['cpu', 3],
  ] as const) {
    await useBackend(backend);
    const xt = tf.tensor5d(x.values, x.shape);
    const wt = tf.tensor5d(w.values, w.shape);
    const first = await timeIt(() => tf.conv3d(xt, wt, 1, 'same'));
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await timeIt(() => tf.conv3d(xt, wt, 1, 'same')));
    const y = tf.conv3d(xt, wt, 1, 'same');
    results[backend] = (await y.data()) as Float32Array;
    tf.dispose([xt, wt, y]);
    rows[`${backend}FirstMs`] = first;
    rows[`${backend}MedianMs`] = median(times);
    rows[`${backend}GflopPerS`] = flops / (median(times) * 1e6);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < results.cpu!.length; i++) {
    num = Math.max(num, Math.abs(results.cpu![i]! - results.webgpu![i]!));
    den = Math.max(den, Math.abs(results.cpu![i]!));
  }
  const row = {
    name: 'conv3d [1,32,32,32,8]→8 forward',
    ...rows,
    relDiff: num / den,
    webgpuSpeedup: rows.cpuMedianMs! / rows.webgpuMedianMs!,
  };
  await record('facts-timing', row);
  console.log(JSON.stringify(row));
  expect(num / den).toBeLessThan(1e-4);
});
