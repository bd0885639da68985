import * as tf from '@tensorflow/tfjs-core';
import { WeightsFormatError } from './errors.js';
import type { NamedVariable } from './module.js';

/** Anything with named variables (every `Module`). */
export interface HasNamedVariables {
  namedVariables(): readonly NamedVariable[];
}

/** `model.json` as written by `saveWeights` (`@voxnas/ops/node`): a tfjs weights manifest plus a format tag. */
export interface WeightsFile {
  readonly format: 'voxnas-weights@1';
  readonly generatedBy: string;
  readonly weightsManifest: tf.io.WeightsManifestConfig;
}

/** File names used inside a weights directory. */
export const WEIGHTS_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Serialises every variable of `module` (paths as names, float32, little-endian) into a tfjs weights
 * manifest and one binary buffer. `tf.io.loadWeights(file.weightsManifest, baseUrl)` reads it in a
 * browser.
 *
 * @example
 * const { file, data } = serializeWeights(net);
 * // file.weightsManifest[0].weights[0] → { name: 'conv/weight', shape: [3,3,3,4,8], dtype: 'float32' }
 */
export function serializeWeights(module: HasNamedVariables): { file: WeightsFile; data: Uint8Array } {
  const vars = module.namedVariables();
  const weights: tf.io.WeightsManifestEntry[] = [];
  let total = 0;
  for (const { path, variable } of vars) {
    weights.push({ name: path, shape: variable.shape.slice(), dtype: 'float32' });
    total += variable.size * 4;
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const { variable } of vars) {
    const values = variable.dataSync() as Float32Array;
    data.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    offset += values.byteLength;
  }
  return {
    file: {
      format: 'voxnas-weights@1',
      generatedBy: '@voxnas/ops',
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights }],
    },
    data,
  };
}

/**
 * Assigns weights from a manifest and its binary to the variables of `module`. Every variable must be
 * present with the same shape; extra entries are an error too. `source` names the origin in errors.
 *
 * @example
 * deserializeWeights(net, file, data, 'run/model');
 */
export function deserializeWeights(
  module: HasNamedVariables,
  file: WeightsFile,
  data: Uint8Array,
  source = '<memory>',
): void {
  if (file === null || typeof file !== 'object' || !Array.isArray(file.weightsManifest)) {
    throw new WeightsFormatError(`loadWeights(${source}): ${WEIGHTS_JSON} has no weightsManifest array`);
  }
  const entries = file.weightsManifest.flatMap((g) => g.weights);
  const offsets = new Map<string, { entry: tf.io.WeightsManifestEntry; offset: number }>();
  let offset = 0;
  for (const entry of entries) {
    if (entry.dtype !== 'float32') {
      throw new WeightsFormatError(`loadWeights(${source}): weight "${entry.name}" has dtype ${entry.dtype}, expected float32`);
    }
    offsets.set(entry.name, { entry, offset });
    offset += entry.shape.reduce((a, b) => a * b, 1) * 4;
  }
  if (offset !== data.byteLength) {
    throw new WeightsFormatError(
      `loadWeights(${source}): ${WEIGHTS_BIN} has ${data.byteLength} bytes, the manifest describes ${offset}`,
    );
  }
  const vars = module.namedVariables();
  const wanted = new Set(vars.map((v) => v.path));
  const extra = entries.filter((e) => !wanted.has(e.name)).map((e) => e.name);
  if (extra.length > 0) {
    throw new WeightsFormatError(`loadWeights(${source}): unexpected weights ${extra.join(', ')} (not in the module)`);
  }
  const updates: Array<[tf.Variable, Float32Array]> = [];
  for (const { path, variable } of vars) {
    const found = offsets.get(path);
    if (found === undefined) throw new WeightsFormatError(`loadWeights(${source}): weight "${path}" is missing`);
    const shape = found.entry.shape;
    if (shape.length !== variable.shape.length || shape.some((d, i) => d !== variable.shape[i])) {
      throw new WeightsFormatError(
        `loadWeights(${source}): weight "${path}" has shape [${shape.join(',')}], expected [${variable.shape.join(',')}]`,
      );
    }
    const bytes = data.slice(found.offset, found.offset + variable.size * 4);
    updates.push([variable, new Float32Array(bytes.buffer)]);
  }
  for (const [variable, values] of updates) {
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  }
}
