import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { adapterLabel, probeWebGpu, type WebGpuProbe } from '@voxnas/ops';

/** What is known about `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA) in a project. */
export interface TfjsNodeGpuStatus {
  readonly installed: boolean;
  /** Its version, when installed. */
  readonly version: string | null;
  /** libtensorflow version its installer fetches (2.9.1 for tfjs 4.22: CUDA 11.2, cuDNN 8.1). */
  readonly libtensorflowVersion: string;
  /** Path of the installed `libtensorflow.so*`, or null (not installed, or its download failed). */
  readonly libtensorflow: string | null;
  /** Where a site points the installer at its own libtensorflow: the variables set now, and custom-binary.json if present. */
  readonly mirror: { readonly env: Readonly<Record<string, string>>; readonly customBinary: string | null };
  /** One line: the state, and what to do about it. */
  readonly reason: string;
}

/** The GPU paths voxnas can take on this machine (`voxnas doctor` prints `lines`). */
export interface GpuReport {
  readonly webgpu: WebGpuProbe;
  readonly tfjsNodeGpu: TfjsNodeGpuStatus;
  /** Human-readable lines, `label  text`. */
  readonly lines: readonly string[];
}

/** Options of {@link gpuReport}. */
export interface GpuReportOptions {
  /** Directory whose `node_modules` is searched for tfjs-node-gpu (default: the working directory). */
  readonly cwd?: string;
  /** Environment to read the installer variables from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Module loader for the optional `webgpu` package (default: dynamic `import`). */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/** libtensorflow that `@tensorflow/tfjs-node(-gpu)` 4.22's installer downloads. */
const DEFAULT_LIBTENSORFLOW = '2.9.1';
const MIRROR_VARIABLES = ['TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI', 'npm_config_TFJS_NODE_CDN_STORAGE', 'npm_config_TFJS_NODE_BASE_URI'];

function tfjsNodeGpuStatus(cwd: string, env: Readonly<Record<string, string | undefined>>): TfjsNodeGpuStatus {
  const mirrorEnv: Record<string, string> = {};
  for (const k of MIRROR_VARIABLES) if (env[k]) mirrorEnv[k] = env[k]!;
  let pkgJson: string | null = null;
  try {
    pkgJson = createRequire(join(cwd, 'package.json')).resolve('@tensorflow/tfjs-node-gpu/package.json');
  } catch {
    pkgJson = null;
  }
  const hint =
    `its installer downloads libtensorflow ${DEFAULT_LIBTENSORFLOW} (CUDA 11.2, cuDNN 8.1) from a Google bucket; a site mirror: ` +
    'TFJS_NODE_CDN_STORAGE=<mirror>/ (serving tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-<version>.tar.gz) ' +
    'or node_modules/@tensorflow/tfjs-node-gpu/scripts/custom-binary.json {"tf-lib": "<url of the tarball>"}, then npm rebuild @tensorflow/tfjs-node-gpu (docs/gpu.md)';
  if (pkgJson === null) {
    return {
      installed: false,
      version: null,
      libtensorflowVersion: DEFAULT_LIBTENSORFLOW,
      libtensorflow: null,
      mirror: { env: mirrorEnv, customBinary: null },
      reason: `not installed; ${hint}`,
    };
  }
  const dir = dirname(pkgJson);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string }).version ?? null;
  let libVersion = DEFAULT_LIBTENSORFLOW;
  try {
    const constants = readFileSync(join(dir, 'scripts', 'deps-constants.js'), 'utf8');
    libVersion = /LIBTENSORFLOW_VERSION\s*=\s*'([^']+)'/.exec(constants)?.[1] ?? libVersion;
  } catch {
    // older layouts: keep the default
  }
  const customBinaryPath = join(dir, 'scripts', 'custom-binary.json');
  const customBinary = existsSync(customBinaryPath) ? customBinaryPath : null;
  const libDir = join(dir, 'deps', 'lib');
  let lib: string | null = null;
  try {
    const found = readdirSync(libDir).find((f) => /^(lib)?tensorflow(\.so|\.dylib|\.dll)/.test(f));
    lib = found === undefined ? null : join(libDir, found);
  } catch {
    lib = null;
  }
  const reason =
    lib !== null
      ? `installed (${version}), libtensorflow ${libVersion} at ${lib}; initBackend() tries it first`
      : `installed (${version}) but libtensorflow is missing from ${libDir} — its install-time download failed; ${hint.replace(`${DEFAULT_LIBTENSORFLOW}`, libVersion)}`;
  return { installed: true, version, libtensorflowVersion: libVersion, libtensorflow: lib, mirror: { env: mirrorEnv, customBinary }, reason };
}

/**
 * Which GPU path voxnas can use here, and why not when none: WebGPU (an adapter through Dawn, the
 * optional `webgpu` package, or the reason there is none — e.g. no Vulkan loader) and
 * `@tensorflow/tfjs-node-gpu` (installed or not, libtensorflow present or not, and how a site points
 * its installer at its own libtensorflow: `TFJS_NODE_CDN_STORAGE` or `custom-binary.json`). Changes
 * no backend. `voxnas doctor` prints its `lines`.
 *
 * @example
 * const report = await gpuReport();
 * for (const line of report.lines) console.log(line);
 * // webgpu         no adapter: Dawn (npm "webgpu") needs Vulkan on Linux, but libvulkan.so.1 is not installed (…)
 * // tfjs-node-gpu  not installed; its installer downloads libtensorflow 2.9.1 (…)
 */
export async function gpuReport(options: GpuReportOptions = {}): Promise<GpuReport> {
  const webgpu = await probeWebGpu(options.importModule ? { importModule: options.importModule } : {});
  const tfjsNodeGpu = tfjsNodeGpuStatus(options.cwd ?? process.cwd(), options.env ?? process.env);
  const lines = [
    `webgpu         ${webgpu.available ? `${adapterLabel(webgpu.adapter!)} via ${webgpu.runtime === 'dawn' ? 'Dawn' : 'the browser'} — VOXNAS_BACKEND=webgpu trains on it` : `no adapter: ${webgpu.reason}`}`,
    ...(webgpu.vulkan ? [`vulkan         loader ${webgpu.vulkan.loader ?? 'missing (libvulkan.so.1)'}; drivers: ${webgpu.vulkan.icds.length ? webgpu.vulkan.icds.join(', ') : 'none'}`] : []),
    `tfjs-node-gpu  ${tfjsNodeGpu.reason}`,
    ...Object.entries(tfjsNodeGpu.mirror.env).map(([k, v]) => `               ${k}=${v}`),
    ...(tfjsNodeGpu.mirror.customBinary ? [`               custom binary: ${tfjsNodeGpu.mirror.customBinary}`] : []),
  ];
  return { webgpu, tfjsNodeGpu, lines };
}
