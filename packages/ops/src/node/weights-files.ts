import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from '@voxnas/core/node';
// Imported by package name, so the published node entry shares the main entry's error classes.
import {
  WEIGHTS_BIN,
  WEIGHTS_JSON,
  WeightsFormatError,
  deserializeWeights,
  serializeWeights,
  type HasNamedVariables,
  type WeightsFile,
} from '@voxnas/ops';

/**
 * Writes the weights of `network` (any module tree) as `model.json` (a tfjs weights manifest) and
 * `weights.bin` into `dir` (created if needed). Each file is written atomically, so a crash never
 * leaves a half-written file.
 *
 * @example
 * await saveWeights(net, 'runs/1/model');
 */
export async function saveWeights(network: HasNamedVariables, dir: string): Promise<void> {
  const { file, data } = serializeWeights(network);
  await mkdir(dir, { recursive: true });
  await atomicWrite(join(dir, WEIGHTS_BIN), data);
  await atomicWrite(join(dir, WEIGHTS_JSON), `${JSON.stringify(file, null, 2)}\n`);
}

/**
 * Loads weights written by {@link saveWeights} into `network`: every variable must be present with
 * the same shape. A missing, unreadable or inconsistent file raises `WeightsFormatError` naming it.
 *
 * @example
 * await loadWeights(net, 'runs/1/model');
 */
export async function loadWeights(network: HasNamedVariables, dir: string): Promise<void> {
  const jsonPath = join(dir, WEIGHTS_JSON);
  let file: WeightsFile;
  try {
    file = JSON.parse(await readFile(jsonPath, 'utf8')) as WeightsFile;
  } catch (cause) {
    throw new WeightsFormatError(`loadWeights(${jsonPath}): cannot read the manifest`, { cause });
  }
  const paths = Array.isArray(file?.weightsManifest) ? file.weightsManifest.flatMap((g) => g.paths) : [];
  let parts: Uint8Array[];
  try {
    parts = await Promise.all(paths.map((p) => readFile(join(dir, p))));
  } catch (cause) {
    throw new WeightsFormatError(`loadWeights(${dir}): cannot read ${paths.join(', ')}`, { cause });
  }
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.byteLength;
  }
  deserializeWeights(network, file, data, dir);
}
