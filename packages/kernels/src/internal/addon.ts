import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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

export type AddonLoad = { addon: Addon; reason?: undefined } | { addon: null; reason: string };

let cached: AddonLoad | undefined;

/** Loads build/Release/voxnas_kernels.node once (ESM, CJS via tsup's import.meta shim, or source). */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  // dist/index.{js,cjs} (bundled) sits one level below the package root, src/internal/addon.ts two.
  const candidates = ['../build/Release/voxnas_kernels.node', '../../build/Release/voxnas_kernels.node'].map(
    (rel) => fileURLToPath(new URL(rel, import.meta.url)),
  );
  const file = candidates.find((f) => existsSync(f)) ?? (candidates[0] as string);
  if (!existsSync(file)) {
    cached = {
      addon: null,
      reason:
        `native addon not built (${file} is missing): install oneDNN and a C++ toolchain ` +
        '(Debian/Ubuntu: apt install libdnnl-dev g++ make python3; macOS: brew install onednn), ' +
        'then run `node scripts/build-native.mjs` in @voxnas/kernels',
    };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require(file) as Addon };
  } catch (e) {
    cached = {
      addon: null,
      reason: `native addon failed to load (${file}): ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return cached;
}
