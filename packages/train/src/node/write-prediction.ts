import { rm } from 'node:fs/promises';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import type { DType, Volume } from '@voxnas/volume';
// Imported by package name, so the published node entry shares the main entry's classes.
import { checkSameGrid, mapLabelsToGrid, mapProbabilitiesToGrid, type Grid } from '@voxnas/train';

/** Writes `volume` atomically, reads the file back and checks its grid against the reference (removing the file if it differs). */
async function writeChecked(volume: Volume, options: { reference: Grid; path: string; toleranceMm?: number }, where: string): Promise<void> {
  await writeNifti(volume, options.path);
  try {
    const back = await readNifti(options.path);
    checkSameGrid(back, options.reference, {
      ...(options.toleranceMm !== undefined ? { toleranceMm: options.toleranceMm } : {}),
      where: `${where}(${options.path})`,
    });
  } catch (error) {
    await rm(options.path, { force: true });
    throw error;
  }
}

const onGrid = (v: Grid, g: Grid) => v.shape.every((n, i) => n === g.shape[i]) && Array.from({ length: 16 }, (_, i) => v.affine[i] === g.affine[i]).every(Boolean);

/**
 * Writes a label map as NIfTI on the `reference` grid (the original input image): labels already on
 * that grid (what `predictCase` returns) are written as they are, others are mapped there by nearest
 * neighbour ({@link mapLabelsToGrid}); written atomically, read back and checked against the
 * reference's shape and affine (throws `GeometryError` and removes the file if they differ).
 * Returns the volume written.
 *
 * @example
 * await writePrediction(labels, { reference: originalImage, path: 'run/pred/case1.nii.gz' });
 */
export async function writePrediction<D extends DType>(
  labels: Volume<D>,
  options: { reference: Grid; path: string; toleranceMm?: number },
): Promise<Volume<D>> {
  const mapped = onGrid(labels, options.reference) ? labels : mapLabelsToGrid(labels, options.reference);
  await writeChecked(mapped, options, 'writePrediction');
  return mapped;
}

/**
 * Writes class probabilities as a 4-D float32 NIfTI (dim[4] = classes) on the `reference` grid:
 * probabilities on another grid are resampled there first ({@link mapProbabilitiesToGrid}); the file
 * is written atomically, read back and checked like {@link writePrediction}. Returns the volume written.
 *
 * @example
 * const { labels, probabilities } = await predictCaseWithProbabilities(image, predict, options);
 * await writeProbabilities(probabilities, { reference: image, path: 'pred/case1_probabilities.nii.gz' });
 */
export async function writeProbabilities(
  probabilities: Volume,
  options: { reference: Grid; path: string; toleranceMm?: number },
): Promise<Volume<'float32'>> {
  const mapped =
    onGrid(probabilities, options.reference) && probabilities.dtype === 'float32'
      ? (probabilities as Volume<'float32'>)
      : mapProbabilitiesToGrid(probabilities, options.reference);
  await writeChecked(mapped, options, 'writeProbabilities');
  return mapped;
}
