// One case, as `voxnas predict` does it: reorient to the training orientation, z-score, sliding-window
// inference with the model card's settings, labels mapped back onto the input's grid.
import { orientationCode, reorient, zScore, type Volume } from '@voxnas/volume';
import { mapLabelsToGrid, slidingWindowInferenceHost, type HostPredictFn } from '@voxnas/train';
import { InputProblem, type ModelInfo } from './model.js';

/** The image must have the model's input channels (modalities). */
export function checkChannels(image: Volume, model: ModelInfo): void {
  if (image.channels !== model.inputChannels) {
    throw new InputProblem(
      `the image has ${image.channels} channel(s), the model expects ${model.inputChannels} — open an image with ${model.inputChannels} channel(s) (a 4-D NIfTI for several)`,
    );
  }
}

/** Segments one case like `voxnas predict`; returns the label map on the input's grid. */
export async function segment(options: {
  readonly image: Volume;
  readonly model: ModelInfo;
  readonly predict: HostPredictFn;
  readonly onProgress: (done: number, total: number) => void;
}): Promise<Volume> {
  const { image, model } = options;
  checkChannels(image, model);
  const oriented = model.orientation && orientationCode(image) !== model.orientation ? reorient(image, model.orientation) : image;
  const { labels } = await slidingWindowInferenceHost(zScore(oriented), options.predict, {
    windowSize: model.patchSize,
    overlap: model.inference.overlap,
    batchSize: model.inference.windowsPerBatch,
    mirror: model.inference.mirror,
    output: 'labels',
    onProgress: options.onProgress,
  });
  return mapLabelsToGrid(labels!, image);
}
