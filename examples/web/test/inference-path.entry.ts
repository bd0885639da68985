// Everything a browser needs to rebuild a network, load its weights and segment a NIfTI in memory, and
// to train one on a case in memory (the web app's training panel).
// inference-path.test.ts bundles this file with esbuild for the browser (any Node built-in fails the
// test) and runs the bundle in a context that has no Node globals.
import '@tensorflow/tfjs-backend-cpu';
export { Rng, VoxnasError } from '@voxnas/core';
export { createVolume, decodeNifti, encodeNifti, reorient, zScore, orientationCode } from '@voxnas/volume';
export { initBackend, serializeWeights, deserializeWeights, buildOperator } from '@voxnas/ops';
export { ChildNetwork, buildChild, createSearchSpace, validateGenotype, sampleRandomGenotype } from '@voxnas/supernet';
export { UNet } from '@voxnas/unet';
export { slidingWindowInference, slidingWindowInferenceHost, predictCase, predictCaseWithProbabilitiesHost, mapLabelsToGrid } from '@voxnas/train';
export { caseTensors, trainSteps, exportWeights, readArchitecture } from '@voxnas/train';
export { generatePhantomCase } from '@voxnas/datasets/phantom';
export { parsePlan, preparationOf, prepareForNetwork, preprocessCase } from '@voxnas/datasets/preparation';
export { readOnnxMetadata } from '@voxnas/onnx';
