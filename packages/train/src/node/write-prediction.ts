import { rm } from 'node:fs/promises';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import type { Volume } from '@voxnas/volume';
// Imported by package name, so the published node entry shares the main entry's classes.
import { checkSameGrid, mapLabelsToGrid, type Grid } from '@voxnas/train';

/**
 * Writes a label map as NIfTI on the `reference` grid (the original input image): maps it there with
 * {@link mapLabelsToGrid}, writes it atomically, reads the file back and checks its shape and affine
 * against the reference (throws {@link GeometryError} and removes the file if they differ).
 * Returns the volume written.
 *
 * @example
 * await writePrediction(labelsOnNetworkGrid, { reference: originalImage, path: 'run/pred/case1.nii.gz' });
 */
export async function writePrediction<V extends Volume>(
  labels: V,
  options: { reference: Grid; path: string; toleranceMm?: number },
): Promise<V> {
  const mapped = mapLabelsToGrid(labels, options.reference);
  await writeNifti(mapped, options.path);
  try {
    const back = await readNifti(options.path);
    checkSameGrid(back, options.reference, {
      ...(options.toleranceMm !== undefined ? { toleranceMm: options.toleranceMm } : {}),
      where: `writePrediction(${options.path})`,
    });
  } catch (error) {
    await rm(options.path, { force: true });
    throw error;
  }
  return mapped;
}

