import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { gpuReport } from './gpu-report.js';

/** A project directory with a tfjs-node-gpu package laid out as its installer leaves it. */
function project(dir: string, options: { lib?: boolean; customBinary?: boolean }): void {
  const pkg = join(dir, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"site-project"}');
  writeFileSync(join(pkg, 'package.json'), '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0"}');
  writeFileSync(join(pkg, 'scripts', 'deps-constants.js'), "const LIBTENSORFLOW_VERSION = '2.9.1';\n");
  if (options.lib) {
    mkdirSync(join(pkg, 'deps', 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'deps', 'lib', 'libtensorflow.so.2.9.1'), '');
  }
  if (options.customBinary) writeFileSync(join(pkg, 'scripts', 'custom-binary.json'), '{"tf-lib":"https://mirror.example/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz"}');
}

describe('gpuReport', () => {
  it('this machine: no WebGPU adapter (and why), tfjs-node-gpu not installed with the mirror hint', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'package.json'), '{"name":"empty"}');
      const r = await gpuReport({ cwd: dir, env: { TFJS_NODE_CDN_STORAGE: 'https://mirror.example/' } });
      expect(r.tfjsNodeGpu).toMatchObject({ installed: false, libtensorflow: null, mirror: { env: { TFJS_NODE_CDN_STORAGE: 'https://mirror.example/' } } });
      expect(r.lines.find((l) => l.startsWith('tfjs-node-gpu'))).toMatchInlineSnapshot(`"tfjs-node-gpu  not installed; its installer downloads libtensorflow 2.9.1 (CUDA 11.2, cuDNN 8.1) from a Google bucket; a site mirror: TFJS_NODE_CDN_STORAGE=<mirror>/ (serving tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-<version>.tar.gz) or node_modules/@tensorflow/tfjs-node-gpu/scripts/custom-binary.json {"tf-lib": "<url of the tarball>"}, then npm rebuild @tensorflow/tfjs-node-gpu (docs/gpu.md)"`);
      expect(r.lines).toContain('               TFJS_NODE_CDN_STORAGE=https://mirror.example/');
      if (!r.webgpu.available) {
        expect(r.webgpu.reason.length).toBeGreaterThan(20);
        expect(r.lines[0]).toBe(`webgpu         no adapter: ${r.webgpu.reason}`);
      }
      if (r.webgpu.vulkan?.loader === null) expect(r.lines[1]).toMatch(/^vulkan {9}loader missing \(libvulkan\.so\.1\)/);
    }));

  it('tfjs-node-gpu installed but its libtensorflow download failed, custom-binary.json present', () =>
    withTempDir(async (dir) => {
      project(dir, { customBinary: true });
      const r = await gpuReport({ cwd: dir, env: {}, importModule: async () => Promise.reject(new Error("Cannot find module 'webgpu'")) });
      expect(r.webgpu).toMatchObject({ available: false, reason: `the optional package "webgpu" (Dawn for Node) did not load: Cannot find module 'webgpu'` });
      expect(r.tfjsNodeGpu).toMatchObject({ installed: true, version: '4.22.0', libtensorflowVersion: '2.9.1', libtensorflow: null });
      expect(r.tfjsNodeGpu.mirror.customBinary).toBe(join(dir, 'node_modules/@tensorflow/tfjs-node-gpu/scripts/custom-binary.json'));
      expect(r.tfjsNodeGpu.reason.replaceAll(dir, '<project>')).toMatchInlineSnapshot(`"installed (4.22.0) but libtensorflow is missing from <project>/node_modules/@tensorflow/tfjs-node-gpu/deps/lib — its install-time download failed; its installer downloads libtensorflow 2.9.1 (CUDA 11.2, cuDNN 8.1) from a Google bucket; a site mirror: TFJS_NODE_CDN_STORAGE=<mirror>/ (serving tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-<version>.tar.gz) or node_modules/@tensorflow/tfjs-node-gpu/scripts/custom-binary.json {"tf-lib": "<url of the tarball>"}, then npm rebuild @tensorflow/tfjs-node-gpu (docs/gpu.md)"`);
    }));

  it('tfjs-node-gpu installed with its libtensorflow', () =>
    withTempDir(async (dir) => {
      project(dir, { lib: true });
      const r = await gpuReport({ cwd: dir, env: {} });
      expect(r.tfjsNodeGpu.libtensorflow).toBe(join(dir, 'node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2.9.1'));
      expect(r.tfjsNodeGpu.reason).toMatch(/^installed \(4\.22\.0\), libtensorflow 2\.9\.1 at .*; initBackend\(\) tries it first$/);
    }));
});
