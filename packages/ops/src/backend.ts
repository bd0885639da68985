import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@voxnas/core';
import { BackendError } from './errors.js';
import { adapterLabel, selectWebGpu, type WebGpuProbe } from './webgpu.js';

/** What `initBackend` chose. */
export interface BackendChoice {
  /** tfjs backend name now active: `'tensorflow'` (tfjs-node / -gpu), `'cpu'`, or what was requested. */
  readonly backend: string;
  /** Package that provides it: `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`, `@tensorflow/tfjs-backend-cpu`, … */
  readonly provider: string;
  /** True when @voxnas/kernels' native kernels are registered on the cpu backend. */
  readonly native: boolean;
  /** Native kernel names (empty unless `native`). */
  readonly nativeKernels: readonly string[];
  /** @voxnas/kernels' typed-array replacements of tfjs-cpu JavaScript kernels in use (empty when pure JS). */
  readonly fastKernels: readonly string[];
  /** Why faster options were not used (empty when the first choice worked). */
  readonly notes: readonly string[];
  /** What the WebGPU probe found, when `'webgpu'` was requested (adapter, or why there is none). */
  readonly webgpu?: WebGpuProbe;
  /** The logged line. */
  readonly summary: string;
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /**
   * `'auto'` (default; or the `VOXNAS_BACKEND` environment variable when set): tfjs-node-gpu →
   * tfjs-node → cpu with @voxnas/kernels when it loads. `'tensorflow'`: tfjs-node-gpu or tfjs-node,
   * else an error. `'native'`: cpu + @voxnas/kernels, else an error. `'cpu'`: the pure-JS kernels
   * (native kernels are unregistered if loaded). `'webgpu'`: TensorFlow.js's WebGPU backend — the
   * page's WebGPU in a browser (import `@tensorflow/tfjs-backend-webgpu` first), Dawn (the optional
   * `webgpu` package) in Node — with @voxnas/webgpu-kernels' fixes; when no adapter exists it logs
   * why in the one summary line and falls back to `'auto'`. Any other name (`'wasm'`, `'webgl'`) is
   * passed to `tf.setBackend` and must already be registered.
   */
  readonly backend?: string;
  /** Receives the one-line summary. Default `console.error`; pass `() => {}` to silence. */
  readonly logger?: (line: string) => void;
  /** Module loader for the optional packages (default: dynamic `import`). Tests pass a failing one. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Threads of @voxnas/kernels' native kernels (OpenMP), like `torch.set_num_threads`. Default: what the
   * addon chose (every core, or `OMP_NUM_THREADS`). Set it when other jobs share the machine. Only the
   * native kernels use it; the other backends ignore it.
   */
  readonly threads?: number;
}

interface KernelsModule {
  nativeStatus: { loaded: boolean; kernels: readonly string[]; threads: number; reason?: string };
  unregisterNativeKernels?: () => void;
  registerNativeKernels?: () => void;
  fastKernelStatus?: { loaded: boolean; kernels: readonly string[] };
  registerFastKernels?: () => void;
  unregisterFastKernels?: () => void;
  setNativeThreads?: (n: number) => void;
  conv3dGradConfig?: unknown;
}

/** @voxnas/kernels' Conv3D gradient (it supports dilations) once the package has been loaded. */
let kernelsConv3dGrad: unknown;

/**
 * True when a dilated `tf.conv3d` runs natively with a gradient: the cpu backend with the native
 * kernels from `initBackend`, and @voxnas/kernels' Conv3D gradient registered (tfjs's own refuses
 * dilations; importing `@tensorflow/tfjs` after @voxnas/kernels would put it back).
 */
export function nativeDilatedConv(): boolean {
  return (
    current?.native === true &&
    tf.getBackend() === 'cpu' &&
    kernelsConv3dGrad !== undefined &&
    tf.getGradient(tf.Conv3D) === kernelsConv3dGrad
  );
}

let current: BackendChoice | undefined;

/**
 * The last choice made by `initBackend` in this process (undefined before the first call). Operators
 * read it to pick strategies measured to be faster on that backend (e.g. depthwise convolution).
 *
 * @example
 * if (currentBackend()?.native) console.log('oneDNN kernels active');
 */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

const dynamicImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 160);
}

/**
 * Chooses and activates the best available tfjs backend (docs/conventions.md "Backends") and logs one line.
 * tfjs-node(-gpu) are optional peers, loaded by dynamic import inside try/catch, so nothing needs
 * them to build or test. `VOXNAS_BACKEND` (or `options.backend`) overrides the choice.
 *
 * @example
 * const choice = await initBackend({ logger: (line) => log.info(line) });
 * // "voxnas backend: cpu + @voxnas/kernels native (2 threads, 9 kernels)"
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const envBackend = typeof process !== 'undefined' ? process.env?.VOXNAS_BACKEND : undefined;
  const asked = (options.backend ?? envBackend ?? 'auto').trim().toLowerCase() || 'auto';
  const load = options.importModule ?? dynamicImport;
  const log = options.logger ?? ((line: string) => console.error(line));
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new InvalidArgumentError(`initBackend: threads must be a positive integer, got ${String(options.threads)}`);
  }
  const notes: string[] = [];
  let choice: Omit<BackendChoice, 'summary' | 'notes'> | undefined;
  let threads = 0;
  let webgpu: WebGpuProbe | undefined;
  let requested = asked;

  if (asked === 'webgpu') {
    webgpu = await selectWebGpu({ importModule: load });
    if (webgpu.available) {
      const provider = webgpu.runtime === 'dawn' ? '@tensorflow/tfjs-backend-webgpu on Dawn (npm "webgpu")' : '@tensorflow/tfjs-backend-webgpu';
      choice = { backend: 'webgpu', provider: `${provider}, ${adapterLabel(webgpu.adapter!)}`, native: false, nativeKernels: [], fastKernels: [] };
    } else {
      notes.push(`WebGPU unavailable: ${webgpu.reason}`);
      requested = 'auto';
    }
  }

  if (choice === undefined && (requested === 'auto' || requested === 'tensorflow')) {
    for (const provider of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await load(provider);
        if (!(await tf.setBackend('tensorflow'))) throw new Error("tf.setBackend('tensorflow') returned false");
        choice = { backend: 'tensorflow', provider, native: false, nativeKernels: [], fastKernels: [] };
        break;
      } catch (error) {
        notes.push(`${provider} unavailable: ${message(error)}`);
      }
    }
    if (choice === undefined && requested === 'tensorflow') {
      throw new BackendError(`initBackend: VOXNAS_BACKEND=tensorflow but neither tfjs-node-gpu nor tfjs-node loads (${notes.join('; ')})`);
    }
  }

  if (choice === undefined && (requested === 'auto' || requested === 'native' || requested === 'cpu')) {
    // In a browser bundle the page imports the cpu backend itself (a bare dynamic import cannot resolve).
    if (tf.findBackendFactory('cpu') === undefined) await load('@tensorflow/tfjs-backend-cpu');
    let kernels: KernelsModule | undefined;
    let fastKernels: readonly string[] = [];
    if (requested !== 'cpu') {
      try {
        kernels = (await load('@voxnas/kernels')) as KernelsModule;
        kernelsConv3dGrad = kernels.conv3dGradConfig;
        if (kernels.registerFastKernels) {
          kernels.registerFastKernels();
          fastKernels = kernels.fastKernelStatus?.kernels ?? [];
        }
        // Re-register: an earlier initBackend({ backend: 'cpu' }) (or the caller) may have
        // unregistered them; a missing addon leaves `loaded` false with its reason.
        kernels.registerNativeKernels?.();
        if (!kernels.nativeStatus?.loaded) {
          notes.push(`@voxnas/kernels not loaded: ${kernels.nativeStatus?.reason ?? 'unknown reason'}`);
          kernels = undefined;
        }
      } catch (error) {
        notes.push(`@voxnas/kernels unavailable: ${message(error)}`);
      }
      if (kernels === undefined && requested === 'native') {
        throw new BackendError(`initBackend: VOXNAS_BACKEND=native but @voxnas/kernels did not load (${notes.join('; ')})`);
      }
    } else {
      // Pure JS: undo the registration if another module imported @voxnas/kernels already.
      try {
        const loaded = (await load('@voxnas/kernels')) as KernelsModule;
        if (loaded.nativeStatus?.loaded) loaded.unregisterNativeKernels?.();
        loaded.unregisterFastKernels?.();
      } catch {
        // not installed: nothing to undo
      }
    }
    if (kernels !== undefined) {
      kernels.registerNativeKernels?.();
      if (options.threads !== undefined) kernels.setNativeThreads?.(options.threads);
    }
    await tf.setBackend('cpu');
    // tfjs-backend-cpu prints a "Hi, looks like you are running TensorFlow.js in Node.js… install our
    // node backend" banner on its first tensor write under Node. The line logged below already says
    // which kernels run (and `voxnas doctor` how to get the native ones), so the banner is turned off.
    const cpuBackend: object = tf.backend();
    if ('firstUse' in cpuBackend && typeof cpuBackend.firstUse === 'boolean') cpuBackend.firstUse = false;
    choice = {
      backend: 'cpu',
      provider: '@tensorflow/tfjs-backend-cpu',
      native: kernels !== undefined,
      nativeKernels: kernels?.nativeStatus.kernels ?? [],
      fastKernels,
    };
    threads = kernels?.nativeStatus.threads ?? 0;
  }

  if (choice === undefined) {
    let ok = false;
    try {
      ok = await tf.setBackend(requested);
    } catch (error) {
      notes.push(message(error));
    }
    if (!ok) {
      throw new BackendError(
        `initBackend: backend "${requested}" is not registered (expected auto, webgpu, tensorflow, native, cpu or a registered tfjs backend such as wasm; registered: ${Object.keys(tf.engine().registryFactory).join(', ')})`,
      );
    }
    choice = { backend: requested, provider: `tfjs backend "${requested}"`, native: false, nativeKernels: [], fastKernels: [] };
  }
  await tf.ready();
  const fellBack = webgpu !== undefined && !webgpu.available;
  const summary =
    `voxnas backend: ${choice.backend}` +
    (choice.native ? ` + @voxnas/kernels native (${threads} threads, ${choice.nativeKernels.length} kernels)` : ` (${choice.provider})`) +
    (choice.fastKernels.length > 0 ? ` + ${choice.fastKernels.length} typed-array kernels` : '') +
    (asked === 'auto' ? '' : ` [VOXNAS_BACKEND=${asked}]`) +
    (fellBack ? ` — fell back: ${notes[0]}` : '') +
    (!fellBack && notes.length > 0 && !choice.native && choice.backend === 'cpu' ? ` — pure JS; ${notes[notes.length - 1]}` : '');
  log(summary);
  current = { ...choice, notes, summary, ...(webgpu === undefined ? {} : { webgpu }) };
  return current;
}
