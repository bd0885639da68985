/**
 * What `scripts/make-fixtures.ts` (Node) builds and the browser tests read back: one definition for
 * both sides. Bump `FIXTURE_VERSION` when anything here or in the script changes.
 */
export const FIXTURE_VERSION = '4';

/** The phantom case: generatePhantomCase(new Rng(seed), { shape, modalities: 1 }), shape x, y, z. */
export const PHANTOM = { seed: 7, shape: [12, 12, 8] as const, classes: 4 } as const;

/** The search space of the exported searched network. */
export const SEARCH_SPACE = { levels: 2, baseChannels: 4, nodes: 2, inputChannels: 1, classes: PHANTOM.classes } as const;

/** The U-Net trained for 20 steps in the browser (and timed in Node). */
export const TRAIN_UNET = { levels: 2, baseChannels: 4, inputChannels: 1, classes: PHANTOM.classes } as const;

/** Files under `artifacts/fixtures/` (names for `readFixture`). */
export const FIXTURE_FILES = {
  image: 'phantom-image.nii.gz',
  label: 'phantom-label.nii.gz',
  genotype: 'searched/genotype.json',
  weightsJson: 'searched/model.json',
  weightsBin: 'searched/weights.bin',
  prediction: 'searched/node-prediction.bin',
  predictionMeta: 'searched/node-prediction.json',
  nodeTiming: 'node-timing.json',
} as const;
