import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InvalidArgumentError } from '@voxnas/core';
import { BatchBuilder, type Batch, type BatchPlan } from './batch-builder.js';
import type { LoadedCase } from './dataset.js';
import { LoaderError } from './loader-error.js';

const WORKER_FLAG = '__voxnasLoaderWorker';

/** Options of `createLoader`: the batch plan plus the threading. */
export interface LoaderOptions extends BatchPlan {
  /** Worker threads (default 0 = build batches on the calling thread). */
  workers?: number;
  /** Batches requested ahead (bounded queue), default max(2, 2·workers). */
  prefetch?: number;
  /** First batch index (to resume), default 0. */
  startBatch?: number;
  /** Dataset check at creation: 'full' (default, reads every case) or 'files' (existence only, for very large datasets). */
  validate?: 'full' | 'files';
  /**
   * Decoded cases by id, shared instead of read: the calling thread builds batches from them without
   * touching the disk (no validation either — they are trusted as checked by whoever decoded them), so
   * several loaders over one prepared dataset share one copy. Worker threads cannot share them: each
   * worker reads and decodes the cases it needs from `dataset` in its own thread.
   */
  cases?: ReadonlyMap<string, LoadedCase>;
}

/** A stream of batches; `next()` returns batch startBatch, startBatch+1, … in order. */
export interface Loader {
  next(): Promise<Batch>;
  /** Builds one batch by index (independent of the stream). */
  batch(index: number): Promise<Batch>;
  [Symbol.asyncIterator](): AsyncIterator<Batch>;
  close(): Promise<void>;
}

/** URL of the module that contains this code: the .ts source under tests, dist/index.js or dist/index.cjs when built. */
function selfUrl(): string {
  if (typeof __filename === 'string') return pathToFileURL(__filename).href;
  return import.meta.url;
}

// The worker body: a tiny eval script that imports this very module (source or dist, ESM or CJS);
// the import runs the check at the bottom of this file, which starts `workerMain`.
// Under tests the entry is TypeScript source: tsx's ESM hooks are registered first (module.register).
// Written to run whether the eval'd script is treated as CommonJS or ESM (a parent started with
// --input-type=module passes that on), hence only dynamic import().
const WORKER_SCRIPT = `
import('node:worker_threads').then(async ({ workerData, parentPort }) => {
  try {
    if (workerData.tsx) (await import(workerData.tsx)).register();
    await import(workerData.entry);
  } catch (e) {
    parentPort.postMessage({ type: 'fatal', message: String((e && e.stack) || e) });
  }
});
`;

interface Pending {
  resolve: (b: Batch) => void;
  reject: (e: unknown) => void;
}

/**
 * A prefetching patch loader. Batches are NDHWC float32 images plus int32 labels, built from a dataset
 * directory by `workers` worker_threads with a bounded queue of `prefetch` batches. Batch b's RNG is
 * forked from the seed *by batch index*, so the batches are identical for 0, 1 or N workers and can be
 * resumed from any index.
 *
 * @example
 * const loader = await createLoader({
 *   dataset: root, patchShape: [32, 32, 16], batchSize: 2, seed: 1, workers: 2,
 *   sampler: { type: 'foreground', fraction: 0.33 },
 *   transforms: [{ type: 'spatial', options: { elastic: { sigmaMm: 2 } } }, { type: 'flip' }, { type: 'gamma', options: { p: 0.3 } }],
 * });
 * const { images, imageShape, labels } = await loader.next(); // imageShape [2, 16, 32, 32, 2]
 * await loader.close();
 */
export async function createLoader(options: LoaderOptions): Promise<Loader> {
  const workers = options.workers ?? 0;
  if (!(Number.isInteger(workers) && workers >= 0))
    throw new InvalidArgumentError(`createLoader: workers must be an integer ≥ 0, got ${workers}`);
  const prefetch = options.prefetch ?? Math.max(2, 2 * workers);
  if (!(Number.isInteger(prefetch) && prefetch >= 1))
    throw new InvalidArgumentError(`createLoader: prefetch must be an integer ≥ 1, got ${prefetch}`);
  const plan: BatchPlan = {
    dataset: options.dataset,
    patchShape: options.patchShape,
    batchSize: options.batchSize,
    seed: options.seed,
    ...(options.caseIds ? { caseIds: options.caseIds } : {}),
    ...(options.sampler ? { sampler: options.sampler } : {}),
    ...(options.transforms ? { transforms: options.transforms } : {}),
    ...(options.cacheCases !== undefined ? { cacheCases: options.cacheCases } : {}),
  };
  // Validate the dataset once, up front, on this thread: bad data fails here, not in a worker later.
  // Shared cases were checked when they were decoded (init skips the disk for them).
  const local = new BatchBuilder(plan, options.cases);
  await local.init(options.validate ?? 'full');

  let closed = false;
  let cursor = options.startBatch ?? 0;
  const ahead = new Map<number, Promise<Batch>>();
  let build: (b: number) => Promise<Batch>;
  let shutdown = async () => {};

  if (workers === 0) {
    build = (b) => local.build(b);
  } else {
    const entry = selfUrl();
    const tsx = /\.(c|m)?ts$/.test(new URL(entry).pathname)
      ? pathToFileURL(
          createRequire(fileURLToPath(entry))
            .resolve('tsx/esm/api')
            .replace(/\.cjs$/, '.mjs'),
        ).href
      : null;
    const pool: { w: Worker; busy: boolean; current: number | null }[] = [];
    const waiting: number[] = [];
    const pending = new Map<number, Pending>();
    let failure: LoaderError | null = null;
    const failAll = (e: LoaderError) => {
      failure ??= e;
      for (const p of pending.values()) p.reject(failure);
      pending.clear();
    };
    const dispatch = () => {
      for (const slot of pool) {
        if (slot.busy || waiting.length === 0) continue;
        const b = waiting.shift()!;
        slot.busy = true;
        slot.current = b;
        slot.w.postMessage({ type: 'build', index: b });
      }
    };
    for (let k = 0; k < workers; k++) {
      const w = new Worker(WORKER_SCRIPT, {
        eval: true,
        workerData: { entry, tsx, [WORKER_FLAG]: true, plan },
      });
      const slot = { w, busy: false, current: null as number | null };
      w.on('message', (m: { type: string; index?: number; batch?: Batch; message?: string }) => {
        if (m.type === 'batch' || m.type === 'error') {
          slot.busy = false;
          slot.current = null;
          const p = pending.get(m.index!);
          pending.delete(m.index!);
          if (m.type === 'batch') p?.resolve(m.batch!);
          else p?.reject(new LoaderError(`loader worker ${k}: batch ${m.index} failed: ${m.message}`));
          dispatch();
        } else if (m.type === 'fatal') {
          failAll(new LoaderError(`loader worker ${k} failed to start: ${m.message}`));
        }
      });
      w.on('error', (e) =>
        failAll(new LoaderError(`loader worker ${k} crashed: ${e.message}`, { cause: e })),
      );
      w.on('exit', (code) => {
        if (!closed && code !== 0) failAll(new LoaderError(`loader worker ${k} exited with code ${code}`));
      });
      pool.push(slot);
    }
    build = (b) =>
      new Promise<Batch>((resolve, reject) => {
        if (failure) return reject(failure);
        pending.set(b, { resolve, reject });
        waiting.push(b);
        dispatch();
      });
    shutdown = async () => {
      failAll(new LoaderError('loader closed'));
      await Promise.all(pool.map((s) => s.w.terminate()));
    };
  }

  const fill = () => {
    while (!closed && ahead.size < prefetch) {
      const b = cursor + ahead.size;
      const p = build(b);
      p.catch(() => {}); // surfaced by next()
      ahead.set(b, p);
    }
  };

  const loader: Loader = {
    async next() {
      if (closed) throw new LoaderError('loader.next(): the loader is closed');
      fill();
      const p = ahead.get(cursor)!;
      ahead.delete(cursor);
      cursor++;
      fill();
      return p;
    },
    batch(index) {
      if (closed) return Promise.reject(new LoaderError('loader.batch(): the loader is closed'));
      return build(index);
    },
    [Symbol.asyncIterator]() {
      return { next: async () => ({ value: await loader.next(), done: false }) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await shutdown();
    },
  };
  fill();
  return loader;
}

async function workerMain(plan: BatchPlan): Promise<void> {
  const port = parentPort!;
  const builder = new BatchBuilder(plan);
  let ready: Promise<unknown> | null = null;
  port.on('message', async (m: { type: string; index: number }) => {
    if (m.type !== 'build') return;
    try {
      ready ??= builder.init(false);
      await ready;
      const batch = await builder.build(m.index);
      port.postMessage({ type: 'batch', index: m.index, batch }, [
        batch.images.buffer as ArrayBuffer,
        batch.labels.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      port.postMessage({
        type: 'error',
        index: m.index,
        message: e instanceof Error ? e.message : String(e),
      });
    }
  });
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[WORKER_FLAG]) {
  void workerMain((workerData as { plan: BatchPlan }).plan);
}
