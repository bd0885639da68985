/**
 * The phantom case of the Node fixtures in the page: `.nii.gz` bytes decoded with `decodeNifti` and
 * turned into tensors by `caseTensors` of `@voxnas/train` (which also holds the training loop the
 * tests run: `trainSteps`, `readArchitecture`, `exportWeights`).
 */
import { caseTensors, type CaseTensors } from '@voxnas/train';
import { decodeNifti } from '@voxnas/volume';

/** Decodes a `.nii(.gz)` image and label pair into tensors on the active backend. */
export function caseFromNifti(imageBytes: Uint8Array, labelBytes: Uint8Array): CaseTensors {
  return caseTensors(decodeNifti(imageBytes, { name: 'image' }).volume, decodeNifti(labelBytes, { name: 'label' }).volume);
}
