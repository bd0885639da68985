/** Backend names the harness can select per run (shared by the Node preset and the page helpers). */

/**
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` 4.22.0 on Chromium's SwiftShader WebGPU adapter.
 * - `cpu`: `@tensorflow/tfjs-backend-cpu` inside the page (the correctness reference).
 * The wasm backend is deliberately not offered: its 3-D gradients are known wrong (REFERENCE.md), so
 * it is for inference only and would need its .wasm files served; add it when an inference test needs it.
 */
export type BrowserBackend = 'webgpu' | 'cpu';

export const BROWSER_BACKENDS: readonly BrowserBackend[] = ['webgpu', 'cpu'];

export function parseBackend(name: string | undefined, fallback: BrowserBackend = 'webgpu'): BrowserBackend {
  if (name === undefined || name === '') return fallback;
  if ((BROWSER_BACKENDS as readonly string[]).includes(name)) return name as BrowserBackend;
  throw new Error(
    `VOXNAS_BROWSER_BACKEND must be one of ${BROWSER_BACKENDS.join(', ')}, got ${JSON.stringify(name)}`,
  );
}
