import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { createVolume, GeometryError } from '@voxnas/volume';
import { describe, expect, it } from 'vitest';
import { BRATS_REGIONS, evaluateSegmentation } from './evaluate-segmentation.js';
import { randomLabelMap } from '../test/fixtures.js';
import { computeMaskMetrics } from './mask-metrics.js';

const shape = [9, 8, 7] as const;
const n = 9 * 8 * 7;
const affine = [0, 0, 2, -10, 0.9, 0, 0, 4, 0, -1.1, 0, 3, 0, 0, 0, 1]; // permuted, flipped, anisotropic

function labelVolume(data: Uint8Array | Int16Array, a: ArrayLike<number> = affine) {
  return createVolume({ data, shape, affine: a, kind: 'label' });
}

describe('evaluateSegmentation', () => {
  const rng = new Rng(17);
  const ref = randomLabelMap(rng, shape, 4);
  const pred = randomLabelMap(rng, shape, 4);

  it('defaults to every non-zero label present in either volume, with spacing from the affine', () => {
    const res = evaluateSegmentation(labelVolume(pred), labelVolume(ref));
    expect(res.classes.map((c) => c.name)).toEqual(['1', '2', '3']);
    expect(res.spacingMm.map((s) => Number(s.toFixed(6)))).toEqual([0.9, 1.1, 2]);
    expect(res.shape).toEqual([9, 8, 7]);
  });

  it('per-label results equal computeMaskMetrics on the binary masks', () => {
    const res = evaluateSegmentation(labelVolume(pred), labelVolume(ref), {
      labels: [2],
      labelNames: { 2: 'oedema' },
      nsdToleranceMm: 2,
    });
    const want = computeMaskMetrics(
      pred.map((v) => (v === 2 ? 1 : 0)),
      ref.map((v) => (v === 2 ? 1 : 0)),
      { shape, spacingMm: res.spacingMm, nsdToleranceMm: 2 },
    );
    expect(res.classes).toEqual([{ name: 'oedema', labels: [2], ...want }]);
  });

  it('working on each class’s bounding box changes nothing: interior, border-touching, absent and background labels', () => {
    const r = new Uint8Array(n);
    const q = new Uint8Array(n);
    const at = (i: number, j: number, k: number) => i + 9 * j + 72 * k;
    for (const [i, j, k] of [[3, 3, 3], [4, 3, 3], [4, 4, 3], [4, 4, 4]]) r[at(i!, j!, k!)] = 1;
    for (const [i, j, k] of [[4, 3, 3], [5, 3, 3], [4, 4, 4]]) q[at(i!, j!, k!)] = 1;
    for (const [i, j, k] of [[0, 0, 0], [1, 0, 0], [8, 7, 6], [0, 7, 6]]) r[at(i!, j!, k!)] = 2;
    for (const [i, j, k] of [[0, 0, 0], [0, 1, 0], [8, 7, 5]]) q[at(i!, j!, k!)] = 2;
    const res = evaluateSegmentation(labelVolume(q), labelVolume(r), { labels: [1, 2, 3, 0], nsdToleranceMm: 1.5 });
    for (const k of res.classes) {
      const l = k.labels[0]!;
      const want = computeMaskMetrics(
        q.map((v) => (v === l ? 1 : 0)),
        r.map((v) => (v === l ? 1 : 0)),
        { shape, spacingMm: res.spacingMm, nsdToleranceMm: 1.5 },
      );
      expect(k).toEqual({ name: String(l), labels: [l], ...want });
    }
    expect(res.classes[2]!.empty).toBe('both');
    expect(res.classes[2]!.counts.tn).toBe(n);
    expect(res.classes[3]!.metrics.dice).toBeGreaterThan(0.98); // background
  });

  it('regions evaluate unions of labels (BraTS WT/TC/ET)', () => {
    const brats = (m: Int16Array) => m.map((v) => [0, 1, 2, 4][v]!);
    const res = evaluateSegmentation(labelVolume(brats(pred)), labelVolume(brats(ref)), { regions: BRATS_REGIONS });
    expect(res.classes.map((c) => [c.name, c.labels])).toEqual([
      ['WT', [1, 2, 4]],
      ['TC', [1, 4]],
      ['ET', [4]],
    ]);
    const wt = computeMaskMetrics(
      pred.map((v) => (v > 0 ? 1 : 0)),
      ref.map((v) => (v > 0 ? 1 : 0)),
      { shape, spacingMm: res.spacingMm },
    );
    expect(res.classes[0]!.metrics).toEqual(wt.metrics);
  });

  it('empty classes follow the policy: BraTS scores an absent, correctly predicted ET as perfect', () => {
    const z = new Uint8Array(n);
    const res = evaluateSegmentation(labelVolume(z), labelVolume(z.slice()), {
      labels: [4],
      empty: { bothEmpty: 'perfect' },
    });
    expect(res.classes[0]!.metrics.dice).toBe(1);
    expect(res.classes[0]!.metrics.hd95).toBe(0);
    expect(res.classes[0]!.empty).toBe('both');
  });

  it('rejects grids that differ in shape, affine or channels, with typed errors', () => {
    const other = createVolume({ data: new Uint8Array(9 * 8 * 6), shape: [9, 8, 6], affine, kind: 'label' });
    expect(() => evaluateSegmentation(other, labelVolume(ref))).toThrow(ShapeMismatchError);
    expect(() => evaluateSegmentation(other, labelVolume(ref))).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: evaluateSegmentation: prediction shape [9, 8, 6] differs from reference shape [9, 8, 7]; resample the prediction onto the reference grid first]`);
    const moved = affine.slice();
    moved[3] = -9.5;
    expect(() => evaluateSegmentation(labelVolume(pred, moved), labelVolume(ref))).toThrow(ShapeMismatchError);
    expect(() => evaluateSegmentation(labelVolume(pred, moved), labelVolume(ref))).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: evaluateSegmentation: prediction affine[0][3] is -9.5, reference has -10 (|Δ| 0.500 > affineToleranceMm 0.0001); the label maps are not on the same grid]`);
    const twoCh = createVolume({ data: new Uint8Array(2 * n), shape, channels: 2, affine });
    expect(() => evaluateSegmentation(twoCh, labelVolume(ref))).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: evaluateSegmentation: prediction has 2 and reference 1 channel(s), expected 1 each (label maps)]`);
  });

  it('rejects a sheared affine (no separable distance) and empty regions', () => {
    const sheared = [1, 0.5, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(() => evaluateSegmentation(labelVolume(pred, sheared), labelVolume(ref, sheared))).toThrow(GeometryError);
    expect(() =>
      evaluateSegmentation(labelVolume(pred, sheared), labelVolume(ref, sheared)),
    ).toThrowErrorMatchingInlineSnapshot(`[GeometryError: evaluateSegmentation: affine columns 0 and 1 are not orthogonal (cos 0.447), expected an orthogonal voxel grid; sheared grids have no axis-separable distance]`);
    expect(() =>
      evaluateSegmentation(labelVolume(pred), labelVolume(ref), { regions: [{ name: 'x', labels: [] }] }),
    ).toThrow(InvalidArgumentError);
  });
});
