/** The README example, verbatim where possible, with its values checked. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import {
  BRATS_REGIONS,
  aggregateCases,
  casesToCsv,
  compareMethods,
  computeMaskMetrics,
  createLosses,
  evaluateSegmentation,
} from './index.js';

describe('README example', () => {
  it('evaluates BraTS regions, aggregates, writes CSV and compares two methods', () => {
    // Dice per [seed][case] of a searched net and a U-Net on the same 12 cases (synthetic).
    const gen = new Rng(12);
    const base = Array.from({ length: 12 }, () => 0.8 + 0.05 * gen.normal());
    const searchedDice = Array.from({ length: 3 }, () => base.map((b) => b + 0.02 + 0.01 * gen.normal()));
    const unetDice = Array.from({ length: 3 }, () => base.map((b) => b + 0.01 * gen.normal()));

    // --- README ---
    const shape = [9, 8, 7] as const; // x, y, z
    const affine = [0.9, 0, 0, 0, 0, 0.9, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1]; // 0.9 × 0.9 × 2.5 mm
    const vol = (data: Uint8Array) => createVolume({ data, shape, affine, kind: 'label' });
    const reference = vol(new Uint8Array(504).fill(2, 60, 300).fill(1, 120, 200).fill(4, 140, 160));
    const prediction = vol(new Uint8Array(504).fill(2, 70, 310).fill(1, 125, 205).fill(4, 150, 165));

    const result = evaluateSegmentation(prediction, reference, {
      regions: BRATS_REGIONS, // WT = {1,2,4}, TC = {1,4}, ET = {4}
      nsdToleranceMm: 1,
      empty: { bothEmpty: 'perfect' },
    });
    const { dice, hd95, assd, nsd } = result.classes[0]!.metrics; // WT
    const cases = [{ caseId: 'case-1', result }];
    const summary = aggregateCases(cases); // per-class mean / std / median, foreground mean
    const csv = casesToCsv(cases); // one row per case and class

    // Searched net vs 3D U-Net: Dice per [seed][case] on the same test cases.
    const cmp = compareMethods(searchedDice, unetDice, { rng: new Rng(0).fork('compare'), names: ['searched', 'U-Net'], metric: 'Dice' });
    // --- end ---

    // WT: voxels 60..299 vs 70..309 → TP 230, FP 10, FN 10.
    expect(dice).toBeCloseTo(460 / 480, 14);
    const wt = computeMaskMetrics(
      prediction.data.map((v) => (v ? 1 : 0)),
      reference.data.map((v) => (v ? 1 : 0)),
      { shape, spacingMm: [0.9, 0.9, 2.5] },
    ).metrics;
    expect([hd95, assd, nsd]).toEqual([wt.hd95, wt.assd, wt.nsd]);
    expect(result.classes.map((c) => c.name)).toEqual(['WT', 'TC', 'ET']);
    expect(summary.classes[2]!.metrics.dice.mean).toBeCloseTo(20 / 35, 14); // ET: 150..159 overlap, 20 + 15 voxels
    expect(csv.split('\n')[1]!.startsWith('case-1,WT,1+2+4,none,')).toBe(true);
    expect(cmp.statement).toBe(
      'searched − U-Net = +0.022 Dice (95% CI [0.017, 0.026]; Wilcoxon p = 0.00049; n = 12 cases; seeds 3 vs 3)',
    );
  });

  it('losses take the caller’s tf namespace', async () => {
    await expectNoLeaks(() => {
      const logits = tf.randomNormal([1, 3, 4, 5, 2], 0, 1, 'float32', 7);
      const labels = tf.tensor4d(Array.from({ length: 60 }, (_, i) => i % 2), [1, 3, 4, 5], 'int32');
      // --- README ---
      const losses = createLosses(tf);
      const loss = losses.diceCe(logits, labels); // logits [n, z, y, x, c]; labels [n, z, y, x] int or one-hot
      // --- end ---
      const g = tf.grad((x: tf.Tensor) => losses.diceCe(x, labels))(logits);
      expect(loss.shape).toEqual([]);
      expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
      expect(g.shape).toEqual([1, 3, 4, 5, 2]);
      tf.dispose([logits, labels, loss, g]);
    });
  });
});
