import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { InvalidArgumentError } from '@voxnas/core';
import { atomicWrite } from '@voxnas/core/node';
// Imported by package name, so the published node entry shares the main entry's classes.
import { encodeNiftiParts, type Volume, type WriteNiftiOptions } from '@voxnas/volume';

/**
 * Writes `volume` to `path` as NIfTI (NIfTI-1 unless `version: 2`), gzipped when the path ends in `.gz`.
 * The dtype is kept; channels become dim[4]; label volumes get intent 1002 (NIFTI_INTENT_LABEL); sform and
 * qform are both set (code 2) as in `encodeNiftiHeader`. The write is atomic (`atomicWrite` of
 * `@voxnas/core/node`): the bytes are streamed (through gzip) into a temporary sibling that is renamed over
 * `path` only when complete; on error it is removed and `path` is untouched. The voxels are not copied.
 *
 * @throws InvalidArgumentError for a path not ending in .nii / .nii.gz or an invalid volume.
 * @example
 * await writeNifti(volume, 'out/pred.nii.gz');
 * const back = await readNifti('out/pred.nii.gz'); // same data, dtype and affine (float32-rounded)
 */
export async function writeNifti(volume: Volume, path: string, options: WriteNiftiOptions = {}): Promise<void> {
  if (!/\.nii(\.gz)?$/i.test(path)) {
    throw new InvalidArgumentError(`writeNifti(${basename(path)}): path must end in .nii or .nii.gz`);
  }
  const gz = options.gzip ?? /\.gz$/i.test(path);
  const { header, body } = encodeNiftiParts(volume, options);
  await atomicWrite(
    path,
    async (tmp) => {
      const chunks = [header, body].map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      const sink = createWriteStream(tmp);
      if (gz) await pipeline(Readable.from(chunks), createGzip({ level: options.gzipLevel ?? 1 }), sink);
      else await pipeline(Readable.from(chunks), sink);
    },
    { fsync: false },
  );
}
