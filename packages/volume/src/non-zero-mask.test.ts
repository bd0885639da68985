import { haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { boundingBox } from './crop.js';
import { nonZeroMask } from './non-zero-mask.js';
import { createVolume } from './volume.js';

/** Reference: any channel != 0, then scipy.ndimage.binary_fill_holes (default 6-connected structure). */
const SCIPY = `
import json, sys, numpy as np
from scipy.ndimage import binary_fill_holes
c = json.load(sys.stdin)
d = np.array(c['data'], dtype=np.float64).reshape(tuple(c['shape']) + (c['channels'],), order='F')
m = np.any((d != 0) & ~np.isnan(d), axis=3)
print(json.dumps({'plain': m.ravel(order='F').astype(int).tolist(), 'filled': binary_fill_holes(m).ravel(order='F').astype(int).tolist()}))
`;

describe.runIf(haveReferences('numpy', 'scipy'))('nonZeroMask', () => {
  // a 2-channel "MR" image: zero background, a hollow shell (a hole of zeros inside), NaN in a corner
  const shape: [number, number, number] = [13, 11, 9];
  const n = 13 * 11 * 9;
  const data = new Float32Array(2 * n);
  const rng = new Rng(4);
  for (let z = 0, i = 0; z < 9; z++) {
    for (let y = 0; y < 11; y++) {
      for (let x = 0; x < 13; x++, i++) {
        const r = Math.hypot((x - 6) / 5, (y - 5) / 4, (z - 4) / 3.5);
        if (r <= 1 && r > 0.45) data[i] = 1 + rng.float();
        if (x === 12 && y === 0 && z === 8) data[n + i] = -3; // only channel 1, outside the shell's box
      }
    }
  }
  data[0] = Number.NaN;
  const image = createVolume({ data, shape, channels: 2, affine: [0, 0, 2, 1, 1.5, 0, 0, 2, 0, -1, 0, 3, 0, 0, 0, 1] });
  const ref = runPythonReference<{ plain: number[]; filled: number[] }>(SCIPY, {
    data: Array.from(data), // NaN → JSON null → numpy nan
    shape,
    channels: 2,
  });

  it('is 1 where any channel is non-zero, holes filled like scipy binary_fill_holes', () => {
    const filled = nonZeroMask(image);
    expect(filled.kind).toBe('label');
    expect(Array.from(filled.affine)).toEqual(Array.from(image.affine));
    expect(Array.from(filled.data)).toEqual(ref.filled);
    expect(Array.from(nonZeroMask(image, { fillHoles: false }).data)).toEqual(ref.plain);
    // the hole is real: filling changes the mask
    expect(ref.filled.reduce((a, b) => a + b, 0)).toBeGreaterThan(ref.plain.reduce((a, b) => a + b, 0));
  });

  it('its bounding box is the crop box (channel 1 alone extends it)', () => {
    expect(boundingBox(nonZeroMask(image))).toEqual({ start: [1, 0, 1], end: [13, 10, 9] });
    expect(boundingBox(nonZeroMask(createVolume({ data: data.subarray(0, n), shape })))).toEqual({ start: [1, 1, 1], end: [12, 10, 8] });
  });
});
