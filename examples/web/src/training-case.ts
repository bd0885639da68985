// What the training panel trains on, and which network: the built-in phantom case or an opened image
// with its label map, prepared as `voxnas predict` prepares a case without a plan (per-case z-score),
// cut to a centred box small enough to train on whole in a page. No DOM and no tfjs: the tests build
// the same case and network in Node from here.
import { Rng } from '@voxnas/core';
import { PHANTOM_LABELS, generatePhantomCase } from '@voxnas/datasets/phantom';
import { checkSameGrid } from '@voxnas/train';
import { extractPatch, zScore, type Volume } from '@voxnas/volume';
import { InputProblem } from './input-problem.js';

/** The built-in case: `generatePhantomCase(new Rng(seed), { shape, modalities })` (shape x, y, z). */
export const PHANTOM_CASE = { seed: 7, shape: [16, 12, 8], modalities: 1 } as const;

/** Steps of one Train click. */
export const TRAINING_STEPS = 20;

/** The largest box trained on (x, y, z voxels); a bigger case is cut to its centre. */
export const MAX_TRAINING_SHAPE = [32, 32, 32] as const;

/** Levels of the trained U-Net: every side of the box is a multiple of 2^(levels − 1). */
const LEVELS = 2;

/** A case ready for `caseTensors`. */
export interface TrainingCase {
  readonly name: string;
  /** Z-scored image (every channel), on the label map's grid. */
  readonly image: Volume;
  readonly label: Volume;
  /** Output channels of the network: the largest label + 1 (at least 2). */
  readonly classes: number;
  /** Label names by value (`'1'` … when the label map names none). */
  readonly labels: Readonly<Record<string, string>>;
  /** Whether the case was cut to {@link MAX_TRAINING_SHAPE} (or to even sides). */
  readonly cropped: boolean;
}

/**
 * The network the panel trains, as `network.json` of `voxnas export` describes it (`{ kind: 'unet',
 * options }`): a 2-level U-Net, 4 base channels, instance norm, transposed convolutions.
 */
export function trainingNetworkSpec(inputChannels: number, classes: number) {
  return {
    kind: 'unet' as const,
    options: { levels: LEVELS, baseChannels: 4, convsPerLevel: 2, norm: 'instance' as const, upsampling: 'transposed' as const, inputChannels, classes },
  };
}

/** The built-in phantom case (4 classes: background, ellipsoid, box, tube). */
export function phantomTrainingCase(): TrainingCase {
  const { image, label } = generatePhantomCase(new Rng(PHANTOM_CASE.seed), { shape: [...PHANTOM_CASE.shape], modalities: PHANTOM_CASE.modalities });
  return prepare('phantom', image, label, Object.fromEntries(PHANTOM_LABELS.map((name, k) => [String(k), name])));
}

/**
 * An opened image and its label map as a training case. Bad input is an {@link InputProblem} (shown
 * on the page): a label map on another grid, with several channels, or whose values are not
 * non-negative integers.
 */
export function openedTrainingCase(name: string, image: Volume, label: Volume): TrainingCase {
  try {
    checkSameGrid(label, image, { where: `the label map of ${name}` });
  } catch (e) {
    throw new InputProblem(`${(e as Error).message} — open the label map that belongs to this image`);
  }
  if (label.channels !== 1) throw new InputProblem(`the label map has ${label.channels} channels, expected 1`);
  let max = 0;
  const values = label.data as ArrayLike<number>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0)) throw new InputProblem(`the label map holds ${v}, expected non-negative integers (class numbers)`);
    if (v > max) max = v;
  }
  const labels = Object.fromEntries(Array.from({ length: Math.max(2, max + 1) }, (_, k) => [String(k), k === 0 ? 'background' : String(k)]));
  return prepare(name, image, label, labels);
}

function prepare(name: string, image: Volume, label: Volume, labels: Record<string, string>): TrainingCase {
  const step = 2 ** (LEVELS - 1);
  const box = image.shape.map((n, a) => Math.floor(Math.min(n, MAX_TRAINING_SHAPE[a]!) / step) * step);
  if (box.some((n) => n < step)) throw new InputProblem(`the image is ${image.shape.join(' × ')} voxels, too small to train on (at least ${step} per side)`);
  const cropped = box.some((n, a) => n !== image.shape[a]);
  const start = box.map((n, a) => Math.floor((image.shape[a]! - n) / 2));
  const cut = (v: Volume) => (cropped ? extractPatch(v, { start, patchShape: box }) : v);
  return { name, image: zScore(cut(image)), label: cut(label), classes: Object.keys(labels).length, labels, cropped };
}
