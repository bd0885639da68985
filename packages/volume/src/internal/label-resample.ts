/**
 * Label resampling by per-class linear interpolation of the one-hot maps, then argmax — done in one
 * pass without materialising the one-hot maps: each output voxel gathers the (up to 8) input voxels its
 * interpolation stencil touches, sums the stencil weights per label value and keeps the label with the
 * largest sum (equal to interpolating every class's indicator and taking the argmax). A tie goes to the
 * larger label value, so a structure covering exactly half of an output voxel is kept rather than
 * given to the background (nnU-Net's per-class threshold ≥ 0.5 keeps it too). The result only holds
 * values of the input.
 *
 * Axis-aligned grids only (f_a = scale[a]·o + shift[a]); per axis 'linear' (two taps, clamped to the
 * edge like scipy mode='nearest') or 'nearest' (one tap, rounds half up). Outputs whose coordinate
 * lies outside [−½, n − ½] on any axis get `fill`. Internal: inputs are trusted.
 */
import { allocData, type DType, type DTypeArrays } from '../volume.js';

type Interp = 'nearest' | 'linear';
const EPS = 1e-9;

interface Taps {
  readonly k: number;
  readonly idx: Int32Array;
  readonly w: Float64Array;
  readonly ok: Uint8Array;
}

function taps(scale: number, shift: number, nOut: number, nIn: number, stride: number, interp: Interp): Taps {
  const k = interp === 'nearest' ? 1 : 2;
  const idx = new Int32Array(nOut * k);
  const w = new Float64Array(nOut * k);
  const ok = new Uint8Array(nOut);
  for (let o = 0; o < nOut; o++) {
    const f = scale * o + shift;
    if (!(f >= -0.5 - EPS && f <= nIn - 0.5 + EPS)) continue;
    ok[o] = 1;
    if (k === 1) {
      let r = Math.floor(f + 0.5);
      if (r < 0) r = 0;
      if (r > nIn - 1) r = nIn - 1;
      idx[o] = r * stride;
      w[o] = 1;
      continue;
    }
    const c = f < 0 ? 0 : f > nIn - 1 ? nIn - 1 : f;
    let b = Math.floor(c);
    if (b > nIn - 2) b = Math.max(0, nIn - 2);
    const t = c - b;
    idx[2 * o] = b * stride;
    idx[2 * o + 1] = (b + 1 < nIn ? b + 1 : b) * stride;
    w[2 * o] = 1 - t;
    w[2 * o + 1] = t;
  }
  return { k, idx, w, ok };
}

/** Resampled label data (same dtype as `src`), 1 channel. */
export function resampleLabelAxes<D extends DType>(
  src: DTypeArrays[D],
  dtype: D,
  o: {
    shape: readonly [number, number, number];
    scale: readonly [number, number, number];
    shift: readonly [number, number, number];
    outShape: readonly [number, number, number];
    interp: readonly [Interp, Interp, Interp];
    fill: number;
  },
): DTypeArrays[D] {
  const [nx, ny] = o.shape;
  const [ox, oy, oz] = o.outShape;
  const tx = taps(o.scale[0], o.shift[0], ox, o.shape[0], 1, o.interp[0]);
  const ty = taps(o.scale[1], o.shift[1], oy, o.shape[1], nx, o.interp[1]);
  const tz = taps(o.scale[2], o.shift[2], oz, o.shape[2], nx * ny, o.interp[2]);
  const out = allocData(dtype, ox * oy * oz);
  if (o.fill !== 0) out.fill(o.fill as never);
  const lab = new Float64Array(8);
  const wt = new Float64Array(8);
  const base = new Int32Array(4);
  const bw = new Float64Array(4);
  for (let z = 0; z < oz; z++) {
    if (!tz.ok[z]) continue;
    for (let y = 0; y < oy; y++) {
      if (!ty.ok[y]) continue;
      // the (y, z) part of the stencil: up to 4 row offsets and weights
      let nb = 0;
      for (let a = 0; a < tz.k; a++) {
        for (let b = 0; b < ty.k; b++) {
          base[nb] = tz.idx[z * tz.k + a]! + ty.idx[y * ty.k + b]!;
          bw[nb++] = tz.w[z * tz.k + a]! * ty.w[y * ty.k + b]!;
        }
      }
      const ob = (z * oy + y) * ox;
      for (let x = 0; x < ox; x++) {
        if (!tx.ok[x]) continue;
        let m = 0;
        for (let r = 0; r < nb; r++) {
          for (let c = 0; c < tx.k; c++) {
            const wv = bw[r]! * tx.w[x * tx.k + c]!;
            if (wv === 0) continue;
            lab[m] = src[base[r]! + tx.idx[x * tx.k + c]!]!;
            wt[m++] = wv;
          }
        }
        let same = true;
        const l0 = lab[0]!;
        for (let i = 1; i < m; i++) {
          if (lab[i] !== l0) {
            same = false;
            break;
          }
        }
        if (same) {
          out[ob + x] = l0;
          continue;
        }
        let best = l0;
        let bestW = -1;
        for (let i = 0; i < m; i++) {
          const li = lab[i]!;
          let seen = false;
          for (let j = 0; j < i; j++) {
            if (lab[j] === li) {
              seen = true;
              break;
            }
          }
          if (seen) continue;
          let s = 0;
          for (let j = i; j < m; j++) if (lab[j] === li) s += wt[j]!;
          if (s > bestW || (s === bestW && li > best)) {
            best = li;
            bestW = s;
          }
        }
        out[ob + x] = best;
      }
    }
  }
  return out;
}
