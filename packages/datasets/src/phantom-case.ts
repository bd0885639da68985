// @voxnas/datasets/phantom: one synthetic phantom case in memory (the cases of `generatePhantomDataset`),
// browser-safe — no Node built-in — so a web page can train and test on it without files.
import { InvalidArgumentError, type Rng } from '@voxnas/core';
import { createVolume, type Volume } from '@voxnas/volume';

type Vec3 = [number, number, number];

/** Options of `generatePhantomCase` / `generatePhantomDataset`. */
export interface PhantomOptions {
  /** Voxel grid, default [48, 40, 32]. */
  shape?: Vec3;
  /** Voxel size in mm, default [1, 1, 1.5] (anisotropic). */
  spacingMm?: Vec3;
  /** Image channels (modalities), default 2 ('T1', 'T2'-like contrasts). */
  modalities?: number;
  /** Noise σ relative to the tissue contrast (default 0.1). */
  noise?: number;
  /** Peak relative amplitude of the smooth multiplicative bias field (default 0.2). */
  biasField?: number;
}

/** The phantom's label names, by label value (0 background, 1 ellipsoid, 2 box, 3 tube). */
export const PHANTOM_LABELS = ['background', 'ellipsoid', 'box', 'tube'] as const;
/** Mean intensity of each class in each of up to 4 modalities (rows: modality). */
const MEANS = [
  [0.2, 1.0, 0.6, 0.8],
  [0.5, 0.3, 1.0, 0.7],
  [0.1, 0.8, 0.4, 1.2],
  [0.6, 0.2, 0.9, 0.4],
];

/**
 * One synthetic subject: three labelled shapes (1 ellipsoid, 2 box, 3 tube along z) at random poses in
 * a background, class-dependent intensities per modality, a smooth multiplicative bias field and
 * Gaussian noise, on an anisotropic RAS grid centred on the world origin. Deterministic for `rng`.
 *
 * @example
 * const { image, label } = generatePhantomCase(new Rng(1), { shape: [24, 20, 16] });
 */
export function generatePhantomCase(
  rng: Rng,
  options: PhantomOptions = {},
): { image: Volume<'float32'>; label: Volume<'uint8'> } {
  const shape = options.shape ?? [48, 40, 32];
  const sp = options.spacingMm ?? [1, 1, 1.5];
  const M = options.modalities ?? 2;
  if (!shape.every((n) => Number.isInteger(n) && n >= 8))
    throw new InvalidArgumentError(
      `generatePhantomCase: shape must be integers ≥ 8, got [${shape.join(', ')}]`,
    );
  if (!(Number.isInteger(M) && M >= 1 && M <= 4))
    throw new InvalidArgumentError(`generatePhantomCase: modalities must be 1..4, got ${M}`);
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const lab = new Uint8Array(n);
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  // Shapes in normalised coordinates (−1..1 per axis).
  const ell = { c: [u(-0.4, 0), u(-0.4, 0.4), u(-0.3, 0.3)], r: [u(0.2, 0.35), u(0.2, 0.35), u(0.25, 0.4)] };
  const box = {
    c: [u(0.15, 0.45), u(-0.4, 0.4), u(-0.3, 0.3)],
    h: [u(0.1, 0.2), u(0.12, 0.25), u(0.15, 0.3)],
  };
  const tube = { c: [u(-0.3, 0.3), u(-0.5, 0.5)], r: u(0.08, 0.14), z: [u(-0.8, -0.3), u(0.3, 0.8)] };
  const bias = Array.from({ length: 4 }, () => u(-1, 1));
  const bAmp = options.biasField ?? 0.2;
  const noise = options.noise ?? 0.1;
  const img = new Float32Array(n * M);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    const Z = (2 * z) / (nz - 1) - 1;
    for (let y = 0; y < ny; y++) {
      const Y = (2 * y) / (ny - 1) - 1;
      for (let x = 0; x < nx; x++, i++) {
        const X = (2 * x) / (nx - 1) - 1;
        let c = 0;
        const e =
          ((X - ell.c[0]!) / ell.r[0]!) ** 2 +
          ((Y - ell.c[1]!) / ell.r[1]!) ** 2 +
          ((Z - ell.c[2]!) / ell.r[2]!) ** 2;
        if (e <= 1) c = 1;
        if (
          Math.abs(X - box.c[0]!) <= box.h[0]! &&
          Math.abs(Y - box.c[1]!) <= box.h[1]! &&
          Math.abs(Z - box.c[2]!) <= box.h[2]!
        )
          c = 2;
        if (
          (X - tube.c[0]!) ** 2 + (Y - tube.c[1]!) ** 2 <= tube.r * tube.r &&
          Z >= tube.z[0]! &&
          Z <= tube.z[1]!
        )
          c = 3;
        lab[i] = c;
        const b = 1 + bAmp * Math.tanh(bias[0]! * X + bias[1]! * Y + bias[2]! * Z + bias[3]! * X * Y);
        for (let m = 0; m < M; m++) img[m * n + i] = MEANS[m]![c]! * b + noise * rng.normal();
      }
    }
  }
  const affine = Float64Array.from([
    sp[0],
    0,
    0,
    (-(nx - 1) / 2) * sp[0],
    0,
    sp[1],
    0,
    (-(ny - 1) / 2) * sp[1],
    0,
    0,
    sp[2],
    (-(nz - 1) / 2) * sp[2],
    0,
    0,
    0,
    1,
  ]);
  return {
    image: createVolume({ data: img, shape, channels: M, affine }),
    label: createVolume({ data: lab, shape, affine, kind: 'label' }),
  };
}
