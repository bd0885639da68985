import { GeometryError, allocData, createVolume, resampleTo, validateAffine, voxelCount, type Affine, type DType, type Volume } from '@voxnas/volume';
import { TrainConfigError } from './errors.js';
import { invertAffine, multiplyAffine } from '@voxnas/core';
import { argmaxLabels } from './internal/argmax-labels.js';
import { slidingWindowInference, slidingWindowInferenceHost, type HostPredictFn, type PredictFn, type SlidingWindowOptions } from './sliding-window.js';

/** A voxel grid: shape `[nx, ny, nz]` and voxel → world affine (every `Volume` is one). */
export interface Grid {
  readonly shape: readonly [number, number, number];
  readonly affine: Affine | ArrayLike<number>;
}

/**
 * Maps a label map onto another grid by nearest neighbour through the two affines: each target
 * voxel takes the label of the source voxel nearest to the same world point, or `background` when
 * that point falls outside the source grid. Undoes any reorientation, resampling, cropping or
 * padding done before the network, since each of those keeps the affine right (docs/conventions.md "Geometry").
 *
 * @example
 * // labels predicted on a cropped, 1.5 mm, reoriented grid → the original image's grid
 * const onInput = mapLabelsToGrid(labels, originalImage);
 */
export function mapLabelsToGrid<D extends DType>(labels: Volume<D>, grid: Grid, options: { background?: number } = {}): Volume<D> {
  if (labels.channels !== 1) {
    throw new TrainConfigError(`mapLabelsToGrid: labels have ${labels.channels} channels, expected 1`);
  }
  validateAffine(grid.affine, 'mapLabelsToGrid(grid)');
  const [tx, ty, tz] = grid.shape;
  const [sx, sy, sz] = labels.shape;
  const m = multiplyAffine(invertAffine(labels.affine), grid.affine); // target voxel → source voxel
  const out = allocData(labels.dtype, tx * ty * tz);
  const background = options.background ?? 0;
  const src = labels.data;
  for (let k = 0, o = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      const bx = m[1]! * j + m[2]! * k + m[3]!;
      const by = m[5]! * j + m[6]! * k + m[7]!;
      const bz = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < tx; i++, o++) {
        const x = Math.round(m[0]! * i + bx);
        const y = Math.round(m[4]! * i + by);
        const z = Math.round(m[8]! * i + bz);
        out[o] = x >= 0 && y >= 0 && z >= 0 && x < sx && y < sy && z < sz ? src[x + sx * (y + sy * z)]! : background;
      }
    }
  }
  return createVolume({ data: out, shape: grid.shape, affine: grid.affine, kind: 'label' });
}

/**
 * Throws {@link GeometryError} unless `grid` has the reference's shape and an affine equal within
 * `toleranceMm` per entry. `where` names the check in the message.
 *
 * @example
 * checkSameGrid(prediction, image, { where: 'prediction.nii.gz' });
 */
export function checkSameGrid(grid: Grid, reference: Grid, options: { toleranceMm?: number; where?: string } = {}): void {
  const tol = options.toleranceMm ?? 1e-3;
  const where = options.where ?? 'checkSameGrid';
  if (grid.shape.some((n, i) => n !== reference.shape[i])) {
    throw new GeometryError(`${where}: shape is [${grid.shape.join(', ')}], expected the input's [${reference.shape.join(', ')}]`);
  }
  for (let i = 0; i < 16; i++) {
    if (!(Math.abs(grid.affine[i]! - reference.affine[i]!) <= tol)) {
      throw new GeometryError(
        `${where}: affine[${Math.floor(i / 4)}][${i % 4}] is ${grid.affine[i]}, expected the input's ${reference.affine[i]} (±${tol} mm)`,
      );
    }
  }
}

/** Marks resampled voxels outside the source grid (probabilities are never negative). */
const OUTSIDE = -1;

/**
 * Maps class probabilities (channels = classes) onto another grid by trilinear interpolation through
 * the two affines — resampling probabilities, not labels, so boundaries stay smooth at any spacing.
 * Target voxels whose centre falls outside the source grid's voxels ([−½, n − ½] per axis) are
 * background: probability 1 for class 0 (0 for a single sigmoid channel). Undoes any reorientation,
 * resampling, cropping or padding done before the network, since each of those keeps the affine right.
 * Convex combinations keep every voxel's probabilities summing to 1.
 *
 * @example
 * // probabilities on a cropped, 1.5 mm grid → the original image's grid, then argmax
 * const onInput = mapProbabilitiesToGrid(probabilities, originalImage);
 */
export function mapProbabilitiesToGrid(probabilities: Volume, grid: Grid): Volume<'float32'> {
  if (probabilities.kind !== 'image') {
    throw new TrainConfigError(`mapProbabilitiesToGrid: expected class probabilities (kind 'image'), got a label map`);
  }
  validateAffine(grid.affine, 'mapProbabilitiesToGrid(grid)');
  const target = { shape: grid.shape, affine: Float64Array.from(grid.affine as ArrayLike<number>) };
  const C = probabilities.channels;
  const mapped = resampleTo(probabilities, target, { interpolation: 'linear', fill: C > 1 ? OUTSIDE : 0 });
  const out = mapped.data instanceof Float32Array ? mapped.data : Float32Array.from(mapped.data as ArrayLike<number>);
  if (C > 1) {
    const n = voxelCount(grid.shape);
    for (let v = 0; v < n; v++) {
      if (out[v] !== OUTSIDE) continue;
      out[v] = 1;
      for (let k = 1; k < C; k++) out[k * n + v] = 0;
    }
  }
  return createVolume({ data: out, shape: grid.shape, channels: C, affine: target.affine, kind: 'image' });
}

/** Options of {@link predictCase}. */
export interface PredictCaseOptions extends Omit<SlidingWindowOptions, 'output'> {
  /**
   * What was done to the image before the network (reorient, crop, normalise, resample — any chain
   * that keeps the affine right). Default: nothing.
   */
  readonly preprocess?: (image: Volume) => Volume | Promise<Volume>;
}

/** Labels and class probabilities of one case, both on the input's grid. */
export interface CasePrediction {
  /** Argmax of `probabilities` (uint8 up to 256 classes, else int16). */
  readonly labels: Volume<'uint8'> | Volume<'int16'>;
  /** Class probabilities (float32, channels = classes), resampled onto the input grid. */
  readonly probabilities: Volume<'float32'>;
}

/**
 * Predicts one case end to end, in memory: preprocess → sliding-window inference (class
 * probabilities on the network's grid) → probabilities resampled onto the *input's* grid with
 * {@link mapProbabilitiesToGrid} (outside the preprocessed extent: background) → argmax there.
 * Returns both; write them with `writePrediction` / `writeProbabilities` of `@voxnas/train/node`.
 *
 * @example
 * const { labels, probabilities } = await predictCaseWithProbabilities(image, (x) => net.apply(x), {
 *   preprocess: (v) => prepare(v), windowSize: [32, 32, 16],
 * });
 */
export async function predictCaseWithProbabilities(image: Volume, predict: PredictFn, options: PredictCaseOptions): Promise<CasePrediction> {
  const { preprocess, ...sliding } = options;
  const input = preprocess ? await preprocess(image) : image;
  const { probabilities } = await slidingWindowInference(input, predict, { ...sliding, output: 'probabilities' });
  return onInputGrid(probabilities!, image);
}

/**
 * {@link predictCaseWithProbabilities} for a network that runs outside TensorFlow.js (ONNX Runtime,
 * WebGPU code of your own): the same preprocess → sliding windows → probabilities on the input grid →
 * argmax, with windows handed to `predict` as NDHWC float32 arrays (see `slidingWindowInferenceHost`).
 *
 * @example
 * const { labels } = await predictCaseWithProbabilitiesHost(image, (data, shape) => runOnnx(data, shape), {
 *   preprocess: (v) => prepare(v), windowSize: [32, 32, 16], onProgress: (done, total) => bar(done / total),
 * });
 */
export async function predictCaseWithProbabilitiesHost(image: Volume, predict: HostPredictFn, options: PredictCaseOptions): Promise<CasePrediction> {
  const { preprocess, ...sliding } = options;
  const input = preprocess ? await preprocess(image) : image;
  const { probabilities } = await slidingWindowInferenceHost(input, predict, { ...sliding, output: 'probabilities' });
  return onInputGrid(probabilities!, image);
}

function onInputGrid(probabilities: Volume, image: Volume): CasePrediction {
  const onGrid = mapProbabilitiesToGrid(probabilities, image);
  return { labels: argmaxLabels(onGrid.data, onGrid.channels, onGrid), probabilities: onGrid };
}

/**
 * Predicts one case end to end and returns its labels on the *input's* grid — the argmax of the class
 * probabilities after they are resampled back (see {@link predictCaseWithProbabilities}), so a case
 * that was cropped and resampled before the network gets smooth boundaries at its own resolution.
 *
 * @example
 * const labels = await predictCase(image, (x) => net.apply(x), {
 *   preprocess: (v) => normalise(v), windowSize: [32, 32, 16], mirror: true,
 * });
 */
export async function predictCase(image: Volume, predict: PredictFn, options: PredictCaseOptions): Promise<Volume> {
  return (await predictCaseWithProbabilities(image, predict, options)).labels;
}
