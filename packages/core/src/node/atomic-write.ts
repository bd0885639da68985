import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

let counter = 0;

/**
 * A name for a temporary sibling of `path`, unique within this process and across processes
 * (`<path>.tmp-<pid>-<n>`), so two writers never share a temporary file.
 *
 * @example
 * tempName('/runs/a/genotype.json'); // '/runs/a/genotype.json.tmp-4242-0'
 */
export function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${counter++}`;
}

/** Options of {@link atomicWrite}. */
export interface AtomicWriteOptions {
  /** fsync the file before the rename (durable across a power cut, slower). Default true. */
  readonly fsync?: boolean;
  /** Create the parent directory when it is missing. Default false. */
  readonly mkdir?: boolean;
}

/**
 * Writes `path` atomically: the data goes to a temporary sibling (see {@link tempName}), is fsynced,
 * then renamed over `path`, so a reader sees the old file or the new one and a crash never leaves a
 * half-written file. `data` is bytes, a string (UTF-8), or a function that writes the temporary file
 * itself (streams, e.g. a gzip pipeline) given its path. On failure the temporary file is removed and
 * the error rethrown.
 *
 * @example
 * await atomicWrite('run/genotype.json', JSON.stringify(genotype));
 * await atomicWrite('run/image.nii.gz', async (tmp) => pipeline(source, createGzip(), createWriteStream(tmp)));
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array | ((tempPath: string) => Promise<void>),
  options: AtomicWriteOptions = {},
): Promise<void> {
  if (options.mkdir) await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    if (typeof data === 'function') {
      await data(tmp);
      if (options.fsync !== false) await fsyncPath(tmp, 'r+');
    } else {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        if (options.fsync !== false) await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * {@link atomicWrite} of `JSON.stringify(value, null, 2)` and a final newline.
 *
 * @example
 * await atomicWriteJson('run/search.json', summary);
 */
export function atomicWriteJson(path: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  return atomicWrite(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/**
 * fsyncs a directory so that a rename inside it is durable. Best effort: platforms that cannot fsync
 * a directory are ignored (the rename itself is still atomic).
 *
 * @example
 * await rename(tmpDir, finalDir); await syncDir(parent);
 */
export async function syncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir, 'r');
  } catch {
    // Directories cannot be fsynced on every platform; the rename is still atomic.
  }
}

async function fsyncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
