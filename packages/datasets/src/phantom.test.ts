import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { generatePhantomCase } from './phantom-case.js';
import { spacingMm } from '@voxnas/volume';

describe('generatePhantomCase', () => {
  it.each([
    [[48, 40, 32], 2],
    [[21, 17, 13], 1],
    [[16, 24, 10], 3],
  ] as [[number, number, number], number][])(
    'shape %j × %i modalities: 3 labelled shapes, anisotropic grid, noise and bias',
    (shape, modalities) => {
      const { image, label } = generatePhantomCase(new Rng(3), { shape, modalities });
      expect(image.shape).toEqual(shape);
      expect(image.channels).toBe(modalities);
      expect(spacingMm(image)).toEqual([1, 1, 1.5]);
      expect(Array.from(label.affine)).toEqual(Array.from(image.affine));
      expect(label.kind).toBe('label');
      const counts = [0, 0, 0, 0];
      for (const v of label.data) counts[v]!++;
      for (const c of counts) expect(c).toBeGreaterThan(0);
      // Within one class, intensities vary (noise + bias field) around the class mean.
      let s = 0,
        s2 = 0,
        n = 0;
      for (let i = 0; i < label.data.length; i++) {
        if (label.data[i] !== 0) continue;
        s += image.data[i]!;
        s2 += image.data[i]! ** 2;
        n++;
      }
      const sd = Math.sqrt(s2 / n - (s / n) ** 2);
      expect(sd).toBeGreaterThan(0.05);
      expect(Math.abs(s / n - 0.2)).toBeLessThan(0.1); // background mean of modality 0
    },
  );

  it('different seeds give different poses', () => {
    const a = generatePhantomCase(new Rng(1), { shape: [16, 16, 12] });
    const b = generatePhantomCase(new Rng(2), { shape: [16, 16, 12] });
    expect(Array.from(a.label.data)).not.toEqual(Array.from(b.label.data));
  });

  it('rejects a tiny shape', () => {
    expect(() => generatePhantomCase(new Rng(1), { shape: [4, 16, 16] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: generatePhantomCase: shape must be integers ≥ 8, got [4, 16, 16]]`,
    );
    expect(() => generatePhantomCase(new Rng(1), { modalities: 5 })).toThrow(InvalidArgumentError);
  });
});
