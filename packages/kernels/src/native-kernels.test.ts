import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  nativeStatus,
  registerNativeKernels,
  setNativeThreads,
  unregisterNativeKernels,
} from './index.js';
import { skipNative, skipNote } from '../test/support.js';

const NATIVE = [
  'Conv3D',
  'Conv3DBackpropInputV2',
  'Conv3DBackpropFilterV2',
  'MaxPool3D',
  'MaxPool3DGrad',
  'AvgPool3D',
  'AvgPool3DGrad',
];

/** Imports the package in a fresh node process with `env` and returns its nativeStatus. */
function statusInChild(env: Record<string, string>): { loaded: boolean; kernels: string[]; reason?: string } {
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@voxnas/source',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(index)}); console.log(JSON.stringify(m.nativeStatus));`,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}

describe('nativeStatus', () => {
  it.runIf(process.env.CI)('the addon loads in CI (.ci/run installs libdnnl-dev)', () => {
    expect(nativeStatus.reason).toBeUndefined();
    expect(nativeStatus.loaded).toBe(true);
  });

  it('is loaded with every kernel, or not loaded with a reason', () => {
    if (nativeStatus.loaded) {
      expect([...nativeStatus.kernels]).toEqual(NATIVE);
      expect(nativeStatus.threads).toBeGreaterThanOrEqual(1);
      expect(nativeStatus.reason).toBeUndefined();
    } else {
      expect(nativeStatus.kernels).toEqual([]);
      expect(nativeStatus.reason).toMatch(/native addon/);
    }
  });

  it('importing the package registers nothing (also with VOXNAS_BACKEND=cpu) and says so', () => {
    const s = statusInChild({ VOXNAS_BACKEND: 'cpu' });
    expect(s).toEqual({
      loaded: false,
      kernels: [],
      threads: 1,
      reason: 'not registered: call registerNativeKernels() (initBackend of @voxnas/ops does)',
    });
  });
});

describe.skipIf(skipNative)(`registration${skipNote}`, () => {
  it('unregisterNativeKernels restores the JavaScript kernels; registerNativeKernels is idempotent', () => {
    const nativeConfigs = NATIVE.map((k) => tf.getKernel(k, 'cpu'));
    unregisterNativeKernels();
    try {
      const jsConfigs = NATIVE.map((k) => tf.getKernel(k, 'cpu'));
      jsConfigs.forEach((c, i) => {
        expect(c).toBeDefined();
        expect(c).not.toBe(nativeConfigs[i]);
      });
      expect(nativeStatus).toMatchObject({ loaded: false, kernels: [] });
      expect(nativeStatus.reason).toMatchInlineSnapshot(`"unregisterNativeKernels() restored the JavaScript kernels"`);
      unregisterNativeKernels(); // twice is harmless
      expect(NATIVE.map((k) => tf.getKernel(k, 'cpu'))).toEqual(jsConfigs);
    } finally {
      const s = registerNativeKernels();
      expect(s.loaded).toBe(true);
    }
    const registered = NATIVE.map((k) => tf.getKernel(k, 'cpu'));
    const again = registerNativeKernels();
    expect([...again.kernels]).toEqual(NATIVE);
    NATIVE.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).toBe(registered[i]));
    expect(nativeStatus.loaded).toBe(true);
  });

  it('setNativeThreads changes the thread count', () => {
    const before = nativeStatus.threads;
    setNativeThreads(1);
    expect(nativeStatus.threads).toBe(1);
    setNativeThreads(before);
    expect(nativeStatus.threads).toBe(before);
  });
});

describe('setNativeThreads', () => {
  it.each([0, -1, 1.5, Number.NaN])('rejects %s', (n) => {
    expect(() => setNativeThreads(n)).toThrow(InvalidArgumentError);
  });

  it('names the bad value', () => {
    expect(() => setNativeThreads(0)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: setNativeThreads(0): expected a positive integer thread count, got 0]`,
    );
  });
});
