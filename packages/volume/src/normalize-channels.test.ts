import { expectClose, haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { normalizeChannels } from './normalize-channels.js';
import { createVolume } from './volume.js';

/**
 * Reference (numpy, nnU-Net's CTNormalization and ZScoreNormalization): CT = (clip(x, lo, hi) − mean)/sd;
 * z-score = (x − mean(x))/std(x) (ddof 0); with the mask, statistics inside it and 0 outside.
 */
const NUMPY = `
import json, sys, numpy as np
c = json.load(sys.stdin)
n = int(np.prod(c['shape']))
d = np.array(c['data'], dtype=np.float64).reshape(c['channels'], n)
m = np.array(c['mask']) > 0
ct = (np.clip(d[0], c['lo'], c['hi']) - c['mean']) / c['sd']
z = (d[1] - d[1].mean()) / d[1].std()
zm = np.zeros(n); zm[m] = (d[2][m] - d[2][m].mean()) / d[2][m].std()
print(json.dumps(np.concatenate([ct, z, zm, d[3]]).tolist()))
`;

describe.runIf(haveReferences('numpy'))('normalizeChannels', () => {
  const shape: [number, number, number] = [7, 6, 5];
  const n = 7 * 6 * 5;
  const rng = new Rng(3);
  const data = new Float32Array(4 * n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const air = rng.float() < 0.3;
    const bone = !air && rng.float() < 0.1;
    data[i] = air ? -1000 + rng.normal() * 5 : bone ? 1200 + rng.normal() * 150 : 40 + rng.normal() * 30; // CT-like HU
    mask[i] = rng.float() < 0.6 ? 1 : 0;
    data[n + i] = 300 + 80 * rng.normal(); // MRI-like
    data[2 * n + i] = mask[i] ? 500 + 50 * rng.normal() : 0;
    data[3 * n + i] = rng.normal();
  }
  const image = createVolume({ data, shape, channels: 4, affine: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1] });
  const maskVol = createVolume({ data: mask, shape, kind: 'label' });
  const ct = { scheme: 'ct', clip: [-990.5, 1150.25], mean: 52.5, sd: 310.0 } as const;
  const out = normalizeChannels(image, {
    channels: [ct, { scheme: 'z-score' }, { scheme: 'z-score', useMask: true }, { scheme: 'none' }],
    mask: maskVol,
  });
  const ref = runPythonReference<number[]>(NUMPY, {
    data: Array.from(data),
    shape,
    channels: 4,
    mask: Array.from(mask),
    lo: ct.clip[0],
    hi: ct.clip[1],
    mean: ct.mean,
    sd: ct.sd,
  });

  it('CT (dataset statistics), per-case z-score, masked z-score and none agree with numpy', () => {
    expect(out.dtype).toBe('float32');
    expect(out.channels).toBe(4);
    expectClose(out.data, ref, { atol: 2e-5, rtol: 2e-5 });
    // clipping happened: air and bone are at the clip bounds
    expect(Math.min(...Array.from(out.data.subarray(0, n)))).toBeCloseTo((ct.clip[0] - ct.mean) / ct.sd, 5);
  });

  it('rejects a scheme count that differs from the channels, useMask without a mask and a bad CT sd', () => {
    expect(() => normalizeChannels(image, { channels: [{ scheme: 'none' }] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: normalizeChannels: 1 channel scheme(s) for an image with 4 channel(s), expected one per channel]`,
    );
    expect(() =>
      normalizeChannels(image, { channels: [ct, { scheme: 'z-score', useMask: true }, { scheme: 'none' }, { scheme: 'none' }] }),
    ).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: normalizeChannels: channel 1 'z-score' with useMask needs options.mask]`);
    expect(() =>
      normalizeChannels(image, { channels: [{ ...ct, sd: 0 }, { scheme: 'none' }, { scheme: 'none' }, { scheme: 'none' }] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: normalizeChannels: channel 0 'ct' needs finite clip lo ≤ hi, finite mean and sd > 0, got clip [-990.5, 1150.25] mean 52.5 sd 0]`,
    );
  });
});
