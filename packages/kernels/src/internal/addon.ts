import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions build/Release/voxnas_kernels.node exports (see native/voxnas_kernels.cc). */
export interface Addon {
  conv3dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geom: Int32Array): void;
  conv3dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: Int32Array): void;
  conv3dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  pool3dForward(mode: 'max' | 'avg', x: Float32Array, y: Float32Array, geom: Int32Array): void;
  avgPool3dBackward(dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
  maxPool3dBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** Fused group norm; `dims` = [n, s, c, groups]. Absent from addons built before it existed. */
  groupNormForward?(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, invStd: Float32Array, dims: Int32Array, eps: number): void;
  groupNormBackward?(dy: Float32Array, x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array, dims: Int32Array): void;
  relu?(x: Float32Array, y: Float32Array): void;
  /** out = a op b (0 add, 1 sub, 2 mul, 3 div); a and b have out's length or length 1. */
  binary?(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  reluBackward?(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setUseAnyLayout(any: boolean): void;
  clearCache(): void;
  onednnVersion(): string;
}

/**
 * Why the native kernels are (not) available, with the exact command that fixes it.
 * - `loaded`: the addon loaded (`source` says from where)
 * - `build-not-run`: no binary and the package's build script never ran (pnpm 10 runs dependencies'
 *   build scripts only when approved; `--ignore-scripts`), and no prebuilt package for this platform
 * - `onednn-missing`, `compiler-missing`: the build script ran and found no oneDNN / no C++ toolchain
 * - `build-failed`: the build script ran and node-gyp failed for another reason (see its log)
 * - `build-skipped`: VOXNAS_KERNELS_SKIP_BUILD was set when the build script ran
 * - `load-failed`: a binary exists but does not load (missing shared library, wrong platform, ABI)
 */
export type NativeDiagnosisState =
  | 'loaded'
  | 'build-not-run'
  | 'onednn-missing'
  | 'compiler-missing'
  | 'build-failed'
  | 'build-skipped'
  | 'load-failed';

/** The result of {@link diagnoseNative}. */
export interface NativeDiagnosis {
  state: NativeDiagnosisState;
  /** One line: what happened. */
  detail: string;
  /** The exact command (or edit) that gives the native kernels; absent when loaded. */
  fix?: string;
  /** Where the loaded addon came from: a local build or the prebuilt platform package. */
  source?: 'build' | 'prebuilt';
  /** The addon file that loaded or failed to load. */
  file?: string;
}

export type AddonLoad = { addon: Addon; reason?: undefined; diagnosis: NativeDiagnosis } | { addon: null; reason: string; diagnosis: NativeDiagnosis };

/** The package root: dist/index.{js,cjs} sits one level below it, src/internal/addon.ts two. */
function packageRoot(): string {
  for (const rel of ['..', '../..']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'build-native.mjs'))) return dir;
  }
  return fileURLToPath(new URL('..', import.meta.url));
}

/** The name of the prebuilt package for this platform, e.g. `@voxnas/kernels-linux-x64`. */
export function prebuiltPackageName(): string {
  return `@voxnas/kernels-${process.platform}-${process.arch}`;
}

/** The prebuilt package's addon file when that package is installed, else undefined. */
function prebuiltFile(root: string): string | undefined {
  try {
    const require = createRequire(join(root, 'package.json'));
    const dir = dirname(require.resolve(`${prebuiltPackageName()}/package.json`));
    const file = join(dir, 'voxnas_kernels.node');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

interface BuildStatus {
  result: string;
  detail: string;
  fix?: string;
}

function readBuildStatus(root: string): BuildStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'build', 'Release', 'native-build.json'), 'utf8')) as BuildStatus;
  } catch {
    return undefined;
  }
}

function tryLoad(file: string): { addon: Addon } | { error: string } {
  try {
    const require = createRequire(import.meta.url);
    return { addon: require(file) as Addon };
  } catch (e) {
    return { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '' };
  }
}

/** The install line for a package set on this platform (sudo unless root). */
function installLine(what: 'onednn' | 'compiler'): string {
  if (process.platform === 'darwin') return what === 'compiler' ? 'xcode-select --install' : 'brew install onednn';
  const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get install -y ${what === 'compiler' ? 'g++ make python3' : 'libdnnl-dev g++ make python3'}`;
}

let cached: AddonLoad | undefined;

/**
 * Loads the addon once: a local build (build/Release/voxnas_kernels.node, made by the install
 * script or `node scripts/build-native.mjs`) first, else the prebuilt platform package
 * (`@voxnas/kernels-linux-x64`, which bundles oneDNN). Works from dist (ESM, CJS via tsup's
 * import.meta shim) and from source.
 */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const root = packageRoot();
  const rebuild = `node ${join(root, 'scripts', 'build-native.mjs')}`;
  const local = join(root, 'build', 'Release', 'voxnas_kernels.node');
  const prebuilt = prebuiltFile(root);
  const failures: string[] = [];
  for (const [file, source] of [
    [local, 'build'],
    [prebuilt, 'prebuilt'],
  ] as const) {
    if (file === undefined || !existsSync(file)) continue;
    const r = tryLoad(file);
    if ('addon' in r) {
      cached = { addon: r.addon, diagnosis: { state: 'loaded', detail: `native addon loaded from ${file}`, source, file } };
      return cached;
    }
    failures.push(`${file}: ${r.error}`);
  }

  let diagnosis: NativeDiagnosis;
  const status = readBuildStatus(root);
  if (failures.length > 0) {
    const missingLib = failures.some((f) => /lib\S+\.so[.\d]*: cannot open shared object file|Library not loaded/.test(f));
    diagnosis = {
      state: 'load-failed',
      detail: `native addon failed to load (${failures.join('; ')})`,
      fix: missingLib
        ? `${installLine('onednn')} && ${rebuild}`
        : `${rebuild} (rebuilds it for this Node and platform)`,
      file: failures[0]?.split(': ')[0],
    };
  } else if (status === undefined) {
    diagnosis = {
      state: 'build-not-run',
      detail:
        `native addon not built: the build script of @voxnas/kernels never ran (pnpm 10 runs dependencies' build scripts only when approved; ` +
        `npm/yarn skip them with --ignore-scripts) and no prebuilt ${prebuiltPackageName()} is installed`,
      fix:
        `${rebuild}  — to build on every install with pnpm, add "@voxnas/kernels" to "pnpm": { "onlyBuiltDependencies": [...] } ` +
        'in your package.json (or run `pnpm approve-builds`) and run `pnpm rebuild @voxnas/kernels`',
    };
  } else {
    const state: NativeDiagnosisState =
      status.result === 'onednn-missing' || status.result === 'compiler-missing' || status.result === 'build-failed'
        ? status.result
        : status.result === 'skipped'
          ? 'build-skipped'
          : 'build-failed';
    const fix =
      state === 'onednn-missing'
        ? `${installLine('onednn')} && ${rebuild}`
        : state === 'compiler-missing'
          ? `${installLine('compiler')} && ${rebuild}`
          : state === 'build-skipped'
            ? `unset VOXNAS_KERNELS_SKIP_BUILD; ${rebuild}`
            : (status.fix ?? rebuild);
    const what =
      state === 'onednn-missing'
        ? 'oneDNN not found when the build script ran'
        : state === 'compiler-missing'
          ? 'no C++ compiler/make/python3 when the build script ran'
          : state === 'build-skipped'
            ? 'the build was skipped (VOXNAS_KERNELS_SKIP_BUILD)'
            : 'node-gyp failed';
    const log = state === 'build-failed' ? ` (log: ${join(root, 'build', 'native-build.log')})` : '';
    diagnosis = { state, detail: `native addon not built: ${what}${log}`, fix };
  }
  cached = { addon: null, reason: `${diagnosis.detail}. Fix: ${diagnosis.fix}`, diagnosis };
  return cached;
}
