// One case, as `voxnas predict` does it: prepared as the training cases were (the model card's plan:
// reorient, crop, normalise, resample), sliding-window inference with the model card's settings, class
// probabilities mapped back onto the input's grid, argmax there.
import { prepareForNetwork } from '@voxnas/datasets/preparation';
import type { Volume } from '@voxnas/volume';
import { predictCaseWithProbabilitiesHost, type HostPredictFn } from '@voxnas/train';
import { InputProblem } from './input-problem.js';
import type { ModelInfo } from './model.js';

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
  const { labels } = await predictCaseWithProbabilitiesHost(image, options.predict, {
    preprocess: (v) => prepareForNetwork(v, { preparation: model.preparation, orientation: model.orientation }),
    windowSize: model.patchSize,
    overlap: model.inference.overlap,
    batchSize: model.inference.windowsPerBatch,
    mirror: model.inference.mirror,
    onProgress: options.onProgress,
  });
  return labels;
}
