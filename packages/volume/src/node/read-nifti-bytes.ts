import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
// Imported by package name, so the published node entry shares the main entry's error classes.
import { NiftiFormatError } from '@voxnas/volume';

/** What a {@link onNiftiFileRead} listener hears: the path read and its size in bytes (as stored, before gunzip). */
export interface NiftiFileRead {
  readonly path: string;
  readonly bytes: number;
}

const listeners = new Set<(read: NiftiFileRead) => void>();

/**
 * Calls `listener` after every file that `readNifti`, `readNiftiWithHeader` or {@link readNiftiBytes}
 * reads from disk in this thread (worker threads have their own listeners). An observation hook for
 * counting reads — e.g. to check that data preparation reads each case file once — not a way to
 * change them. Returns a function that removes the listener.
 *
 * @example
 * const reads = new Map<string, number>();
 * const stop = onNiftiFileRead(({ path }) => reads.set(path, (reads.get(path) ?? 0) + 1));
 * await readNifti('case.nii.gz');
 * stop(); // reads.get('case.nii.gz') === 1
 */
export function onNiftiFileRead(listener: (read: NiftiFileRead) => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * The raw bytes of a NIfTI file (still gzipped for `.nii.gz`), read in one call — the one place NIfTI
 * files are read from disk. Pass them to `readNifti(bytes)` to decode; callers that also hash the file
 * (a data fingerprint) read it once this way.
 *
 * @throws NiftiFormatError naming the file when it cannot be read.
 * @example
 * const bytes = await readNiftiBytes('imagesTr/case_000.nii.gz');
 * const volume = await readNifti(bytes, { name: 'case_000.nii.gz' });
 */
export async function readNiftiBytes(path: string, options: { name?: string } = {}): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    throw new NiftiFormatError(`readNifti(${options.name ?? basename(path)}): cannot read ${path} (${code})`, { cause: e, file: path });
  }
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const l of listeners) l({ path, bytes: bytes.byteLength });
  return bytes;
}
