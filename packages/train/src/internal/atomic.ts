import { open, rename, rm } from 'node:fs/promises';

let counter = 0;

/** A name for a temporary sibling of `path`, unique within this process and across processes. */
export function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${counter++}`;
}

/** Writes `data` to `path` via a temporary file, fsync and rename: readers see the old or the new file, never half. */
export async function atomicWriteFile(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempName(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** fsyncs a directory so a rename inside it is durable (best effort: some platforms refuse). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Directories cannot be fsynced on every platform; the rename is still atomic.
  }
}
