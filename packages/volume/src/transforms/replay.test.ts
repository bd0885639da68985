import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { createVolume } from '../volume.js';
import { randomFlip } from './flip.js';
import { randomGamma } from './gamma.js';
import { testSubject } from '../../test/transform-fixtures.js';
import { randomNoise } from './noise.js';
import { invert, replay } from './replay.js';
import { randomRot90 } from './rot90.js';
import { randomSpatial, spatial } from './spatial.js';
import { compose, createSubject, mapVolumes, type Transform } from './subject.js';

describe('compose / replay / invert', () => {
  it('a mixed pipeline replays bit for bit from its JSON log', () => {
    const s = testSubject([9, 7, 5]);
    const augment = compose([
      randomSpatial({ outShape: [7, 6, 5], elastic: { sigmaMm: 1, controlPoints: 4 } }),
      randomFlip({ p: 0.7 }),
      randomRot90({ axes: [0, 1], p: 0.5 }),
      randomGamma({ p: 0.5 }),
      randomNoise(),
    ]);
    for (const seed of [1, 2, 3, 4]) {
      const out = augment(s, new Rng(seed));
      expect(out.history.map((h) => h.name)).toEqual(['spatial', 'flip', 'rot90', 'gamma', 'noise']);
      const again = replay(s, JSON.parse(JSON.stringify(out.history)));
      expect(Array.from(again.volumes.image!.data)).toEqual(Array.from(out.volumes.image!.data));
      expect(Array.from(again.volumes.label!.data)).toEqual(Array.from(out.volumes.label!.data));
    }
  });

  it('invert maps a patch back into the input grid: window restored, outside 0, intensity steps ignored', () => {
    const s = testSubject([9, 7, 5]);
    const out = compose([spatial({ outShape: [5, 4, 3], centreVoxel: [4, 3.5, 2] }), randomGamma()])(
      s,
      new Rng(1),
    );
    const back = invert({ volumes: { label: out.volumes.label! }, history: out.history });
    const lab = back.volumes.label!;
    expect(lab.shape).toEqual([9, 7, 5]);
    expect(Array.from(lab.affine)).toEqual(Array.from(s.volumes.label!.affine));
    const src = s.volumes.label!.data;
    let i = 0;
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 7; y++)
        for (let x = 0; x < 9; x++, i++) {
          const inside = x >= 2 && x < 7 && y >= 2 && y < 6 && z >= 1 && z < 4;
          expect(lab.data[i]).toBe(inside ? src[i] : 0);
        }
  });

  it('custom transforms replay through options.transforms; unknown names are rejected', () => {
    const negate: Transform<{ k: number }> = {
      name: 'negate',
      kind: 'intensity',
      sample: (rng) => ({ k: rng.int(1, 3) }),
      apply: (subject, { k }) =>
        mapVolumes(
          subject,
          (v) =>
            createVolume({
              data: Float32Array.from(v.data, (x) => (k % 2 ? -x : x)),
              shape: v.shape,
              channels: v.channels,
              affine: v.affine,
            }),
          'image',
        ),
    };
    const s = createSubject(testSubject().volumes);
    const out = compose([negate])(s, new Rng(2));
    expect(Array.from(replay(s, out.history, { transforms: [negate] }).volumes.image!.data)).toEqual(
      Array.from(out.volumes.image!.data),
    );
    expect(() => replay(s, out.history)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: replay: unknown transform 'negate' in the history, expected one of flip, rot90, spatial, gamma, noise, blur, brightness-contrast, low-resolution; pass custom transforms in options.transforms]`,
    );
  });

  it('rejects bad probabilities and subjects on different grids', () => {
    expect(() => compose([{ ...randomFlip(), p: 2 }])).toThrow(InvalidArgumentError);
    const s = testSubject();
    const other = createVolume({ data: new Uint8Array(9 * 7 * 4), shape: [9, 7, 4], kind: 'label' });
    expect(() => createSubject({ image: s.volumes.image!, label: other })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: createSubject: volume 'label' is on grid [9, 7, 4], expected the grid of 'image' [9, 7, 5] with the same affine]`,
    );
  });
});
