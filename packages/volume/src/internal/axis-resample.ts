/**
 * Axis-aligned resampling one axis at a time (x, then y, then z), each axis with its own
 * interpolation: 'nearest', 'linear' or 'cubic' (cubic B-spline with scipy's prefilter). Used when M is
 * diagonal (resample to a spacing or shape) and the caller asks for cubic or mixed per-axis
 * interpolation. Internal: inputs are trusted.
 *
 * Conventions (scipy.ndimage.map_coordinates with mode='nearest'): output coordinate o samples input
 * coordinate f = scale·o + shift; an f outside the input voxels' extent [−½, n − ½] gives `fill`.
 * Linear clamps its neighbours to the edge; nearest rounds half up; cubic evaluates the B-spline whose
 * coefficients come from the input padded by 12 edge voxels per side and filtered with the cubic pole
 * z = √3 − 2 (scipy's `_prepad_for_spline_filter` + `spline_filter`, reflect-type initial conditions).
 *
 * Lines along y and z are processed many at once (rows of the faster axes stay contiguous), in blocks
 * so the float64 work buffers stay small whatever the volume size.
 */

/** Interpolation along one axis. */
export type AxisInterpolation = 'nearest' | 'linear' | 'cubic';

type Numeric = ArrayLike<number> & { readonly length: number };
type FloatOut = Float32Array | Float64Array;

const EPS = 1e-9;
const PAD = 12;
const POLE = Math.sqrt(3) - 2;
/** Lines processed together in the y and z passes (bounds the work buffer to (n + 24)·BLOCK float64). */
const BLOCK = 2048;

/** Taps of one axis: for each output coordinate, `k` input indices (into the padded coefficients for cubic) and weights. */
interface AxisTaps {
  readonly k: number;
  readonly idx: Int32Array;
  readonly w: Float64Array;
  readonly ok: Uint8Array;
}

function axisTaps(scale: number, shift: number, nOut: number, nIn: number, interp: AxisInterpolation): AxisTaps {
  const k = interp === 'nearest' ? 1 : interp === 'linear' ? 2 : 4;
  const idx = new Int32Array(nOut * k);
  const w = new Float64Array(nOut * k);
  const ok = new Uint8Array(nOut);
  for (let o = 0; o < nOut; o++) {
    const f = scale * o + shift;
    if (!(f >= -0.5 - EPS && f <= nIn - 0.5 + EPS)) continue;
    ok[o] = 1;
    if (interp === 'nearest') {
      let r = Math.floor(f + 0.5);
      if (r < 0) r = 0;
      if (r > nIn - 1) r = nIn - 1;
      idx[o] = r;
      w[o] = 1;
    } else if (interp === 'linear') {
      const c = f < 0 ? 0 : f > nIn - 1 ? nIn - 1 : f;
      let b = Math.floor(c);
      if (b > nIn - 2) b = Math.max(0, nIn - 2);
      const t = c - b;
      idx[2 * o] = b;
      idx[2 * o + 1] = b + 1 < nIn ? b + 1 : b;
      w[2 * o] = 1 - t;
      w[2 * o + 1] = t;
    } else {
      const fp = f + PAD;
      const b = Math.floor(fp);
      const t = fp - b;
      const t2 = t * t;
      const t3 = t2 * t;
      const u = 1 - t;
      idx.set([b - 1, b, b + 1, b + 2], 4 * o);
      w[4 * o] = (u * u * u) / 6;
      w[4 * o + 1] = (4 - 6 * t2 + 3 * t3) / 6;
      w[4 * o + 2] = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
      w[4 * o + 3] = t3 / 6;
    }
  }
  return { k, idx, w, ok };
}

/**
 * In-place cubic B-spline prefilter of `lines` lines of length `n` stored interleaved: element j of
 * line l at `c[j·lines + l]` (so each step of the recursion is a contiguous row). scipy's order-3
 * `spline_filter1d`: gain 6, causal and anticausal passes with reflect initial conditions.
 */
function prefilterInterleaved(c: Float64Array, n: number, lines: number): void {
  const z = POLE;
  const total = n * lines;
  for (let i = 0; i < total; i++) c[i]! *= 6;
  // causal init (reflect): c0 ← c0 + z/(1 − zⁿ²)·Σ_{i=0}^{n−1} zⁱ(c[i] + zⁿ·c[n−1−i])
  const zn = Math.pow(z, n);
  const head = new Float64Array(lines);
  let zi = 1;
  for (let i = 0; i < n; i++) {
    const a = i * lines;
    const b = (n - 1 - i) * lines;
    for (let l = 0; l < lines; l++) head[l]! += zi * (c[a + l]! + zn * c[b + l]!);
    zi *= z;
    if (Math.abs(zi) < 1e-30) break; // the remaining terms are below float64 resolution
  }
  const g = z / (1 - zn * zn);
  for (let l = 0; l < lines; l++) c[l] = c[l]! + g * head[l]!;
  for (let j = 1; j < n; j++) {
    const a = j * lines;
    const p = a - lines;
    for (let l = 0; l < lines; l++) c[a + l]! += z * c[p + l]!;
  }
  // anticausal init (reflect): c[n−1] ← z/(z − 1)·c[n−1]
  const last = (n - 1) * lines;
  const h = z / (z - 1);
  for (let l = 0; l < lines; l++) c[last + l]! *= h;
  for (let j = n - 2; j >= 0; j--) {
    const a = j * lines;
    const q = a + lines;
    for (let l = 0; l < lines; l++) c[a + l] = z * (c[q + l]! - c[a + l]!);
  }
}

/**
 * One pass along `axis` of a volume of `shape` (x fastest) and `channels`: returns data with that axis
 * resized to `nOut`. Output float32 unless `float64`.
 */
function pass(
  src: Numeric,
  shape: readonly [number, number, number],
  channels: number,
  axis: 0 | 1 | 2,
  nOut: number,
  taps: AxisTaps,
  fill: number,
  float64: boolean,
): FloatOut {
  const n = shape[axis];
  const inner = axis === 0 ? 1 : axis === 1 ? shape[0] : shape[0] * shape[1];
  const outer = (axis === 0 ? shape[1] * shape[2] : axis === 1 ? shape[2] : 1) * channels;
  const out: FloatOut = float64 ? new Float64Array(inner * nOut * outer) : new Float32Array(inner * nOut * outer);
  const { k, idx, w, ok } = taps;
  const cubic = k === 4;
  if (axis === 0) {
    // contiguous lines: one at a time
    const line = cubic ? new Float64Array(n + 2 * PAD) : null;
    for (let l = 0; l < outer; l++) {
      const ib = l * n;
      const ob = l * nOut;
      let s: Numeric = src;
      let sb = ib;
      if (line) {
        for (let j = 0; j < n + 2 * PAD; j++) {
          const x = j - PAD;
          line[j] = src[ib + (x < 0 ? 0 : x >= n ? n - 1 : x)]!;
        }
        prefilterInterleaved(line, n + 2 * PAD, 1);
        s = line;
        sb = 0;
      }
      for (let o = 0; o < nOut; o++) {
        if (!ok[o]) {
          out[ob + o] = fill;
          continue;
        }
        let v = 0;
        for (let t = 0; t < k; t++) v += w[o * k + t]! * s[sb + idx[o * k + t]!]!;
        out[ob + o] = v;
      }
    }
    return out;
  }
  // Strided axis: rows of `inner` contiguous values per axis step; blocks of BLOCK lines.
  const buf = cubic ? new Float64Array((n + 2 * PAD) * Math.min(BLOCK, inner)) : null;
  for (let l = 0; l < outer; l++) {
    const ib = l * n * inner;
    const ob = l * nOut * inner;
    for (let b0 = 0; b0 < inner; b0 += BLOCK) {
      const B = Math.min(BLOCK, inner - b0);
      if (buf) {
        const N = n + 2 * PAD;
        for (let j = 0; j < N; j++) {
          const x = j - PAD;
          const row = ib + (x < 0 ? 0 : x >= n ? n - 1 : x) * inner + b0;
          const d = j * B;
          for (let i = 0; i < B; i++) buf[d + i] = src[row + i]!;
        }
        prefilterInterleaved(buf, N, B);
      }
      for (let o = 0; o < nOut; o++) {
        const orow = ob + o * inner + b0;
        if (!ok[o]) {
          out.fill(fill, orow, orow + B);
          continue;
        }
        if (buf) {
          const w0 = w[4 * o]!, w1 = w[4 * o + 1]!, w2 = w[4 * o + 2]!, w3 = w[4 * o + 3]!;
          const r0 = idx[4 * o]! * B, r1 = idx[4 * o + 1]! * B, r2 = idx[4 * o + 2]! * B, r3 = idx[4 * o + 3]! * B;
          for (let i = 0; i < B; i++) out[orow + i] = w0 * buf[r0 + i]! + w1 * buf[r1 + i]! + w2 * buf[r2 + i]! + w3 * buf[r3 + i]!;
        } else if (k === 2) {
          const w0 = w[2 * o]!, w1 = w[2 * o + 1]!;
          const r0 = ib + idx[2 * o]! * inner + b0, r1 = ib + idx[2 * o + 1]! * inner + b0;
          for (let i = 0; i < B; i++) out[orow + i] = w0 * src[r0 + i]! + w1 * src[r1 + i]!;
        } else {
          const r0 = ib + idx[o]! * inner + b0;
          for (let i = 0; i < B; i++) out[orow + i] = src[r0 + i]!;
        }
      }
    }
  }
  return out;
}

/**
 * Resamples `data` (shape `[nx, ny, nz]`, `channels` planes, x fastest) on the axis-aligned grid
 * f_a = scale[a]·o + shift[a] to `outShape`, axis by axis with `interp[a]`. Output float32 (float64
 * when `float64`).
 */
export function resampleAxes(
  data: Numeric,
  o: {
    shape: readonly [number, number, number];
    channels: number;
    scale: readonly [number, number, number];
    shift: readonly [number, number, number];
    outShape: readonly [number, number, number];
    interp: readonly [AxisInterpolation, AxisInterpolation, AxisInterpolation];
    fill: number;
    float64: boolean;
  },
): FloatOut {
  let cur: Numeric = data;
  const shape: [number, number, number] = [o.shape[0], o.shape[1], o.shape[2]];
  for (const a of [0, 1, 2] as const) {
    const taps = axisTaps(o.scale[a], o.shift[a], o.outShape[a], shape[a], o.interp[a]);
    cur = pass(cur, shape, o.channels, a, o.outShape[a], taps, o.fill, o.float64);
    shape[a] = o.outShape[a];
  }
  return cur as FloatOut;
}
