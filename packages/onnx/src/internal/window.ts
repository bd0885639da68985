// Padding and output size of the 3D window ops (convolutions and pooling), reproducing @voxnas/ops.
import { OnnxEmitError } from '../errors.js';
import { attr, type AttributeValue, type Dim, type GraphBuilder, type KnownShape } from '../graph-builder.js';
import { addInt64, mapDim, show, type Triple } from './emit-util.js';

/**
 * Padding of a 3D window op, as in `@voxnas/ops`: `'same'` (output ⌈n / stride⌉, the extra voxel at the
 * end — TensorFlow's rule), `'valid'`, a number or `[d, h, w]` of zeros on both sides of each axis, or
 * explicit `{ begin, end }` per axis `[d, h, w]`.
 */
export type ConvPadding =
  | 'same'
  | 'valid'
  | number
  | readonly [number, number, number]
  | { readonly begin: readonly [number, number, number]; readonly end: readonly [number, number, number] };

/**
 * Whether `@voxnas/ops` `conv3d` clamps a negative `'same'` padding to 0. It does not: tfjs 4.22's 3D
 * `'same'` takes front = ⌊total/2⌋ even when total = −1 (kernel extent < stride, e.g. the 1×1×1 stride-2
 * convs of the factorised reduce on an even size), so the window starts one voxel in — unlike
 * TensorFlow and PyTorch. If voxnas ever clamps it, flip this and the exported graph follows.
 */
export const CONV_SAME_CLAMPS = false;

/** What a window emitter writes: the (possibly padded) node input, the padding attributes and the output shape. */
export interface WindowPlan {
  readonly input: string;
  readonly attributes: Record<string, AttributeValue>;
  readonly outShape: KnownShape | undefined;
}

export interface WindowOptions {
  readonly who: string;
  readonly prefix: string;
  readonly input: string;
  readonly shape: KnownShape | undefined;
  readonly padding: ConvPadding;
  /** Dilated kernel extent per axis. */
  readonly extent: Triple;
  readonly stride: Triple;
  /** Whether any dilation is > 1 (ONNX Runtime rejects auto_pad with dilation). */
  readonly dilated: boolean;
  /**
   * How `'same'` treats a negative total padding (kernel extent < stride): `false` as tfjs's conv3d
   * (front = ⌊total/2⌋ = −1: the window starts one voxel in), `true` as voxnas's pool3d (clamped to 0).
   */
  readonly clampSame: boolean;
  /** Output channels (undefined: the input's). */
  readonly channels: number | undefined;
}

function explicit(who: string, padding: ConvPadding): Array<[number, number]> {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
  if (typeof padding === 'number' || Array.isArray(padding)) {
    const p = typeof padding === 'number' ? [padding, padding, padding] : (padding as readonly number[]);
    if (p.length === 3 && p.every((x) => Number.isSafeInteger(x) && x >= 0))
      return p.map((x) => [x, x] as [number, number]);
  } else if (padding !== null && typeof padding === 'object' && 'begin' in padding && 'end' in padding) {
    const ok = (v: unknown) =>
      Array.isArray(v) && v.length === 3 && v.every((x) => Number.isSafeInteger(x) && x >= 0);
    if (ok(padding.begin) && ok(padding.end))
      return [0, 1, 2].map((a) => [padding.begin[a]!, padding.end[a]!] as [number, number]);
    throw new OnnxEmitError(
      `${who}: padding { begin, end } must hold [d, h, w] integers ≥ 0, got ${show(padding)}`,
    );
  }
  throw new OnnxEmitError(
    `${who}: padding must be 'same', 'valid', an integer ≥ 0, [d, h, w] or { begin, end }, got ${show(padding)}`,
  );
}

const padsAttr = (p: ReadonlyArray<readonly [number, number]>) => ({
  pads: attr.ints([...p.map((x) => x[0]), ...p.map((x) => x[1])]),
});

/** tfjs / voxnas `'same'` padding [front, back] of one axis of static size n. */
function samePads(n: number, k: number, s: number, clamp: boolean): [number, number] {
  const raw = (Math.ceil(n / s) - 1) * s + k - n;
  const total = clamp ? Math.max(raw, 0) : raw;
  const front = Math.floor(total / 2);
  return [front, total - front];
}

/**
 * Plans the padding of a window op so it equals the voxnas primitive for every input size:
 * - `'valid'` / explicit: ONNX `pads`;
 * - `'same'`, all strides 1: explicit `pads` (they do not depend on the size);
 * - `'same'`, static spatial size: explicit `pads`, or a `Pad` node first when a pad is negative;
 * - `'same'`, dynamic size, no dilation, and a padding that cannot go negative: `auto_pad = SAME_UPPER`
 *   (TensorFlow's rule; ONNX Runtime refuses it with dilation);
 * - otherwise a small int64 subgraph computes the pads from `Shape` at run time and a `Pad` node applies them.
 */
export function planWindow(b: GraphBuilder, o: WindowOptions): WindowPlan {
  const { who, shape, extent, stride } = o;
  const spatial: Array<Dim | undefined> =
    shape === undefined ? [undefined, undefined, undefined] : shape.slice(2, 5);
  const outShape = (f: (n: number, a: number) => number, unchanged: boolean): KnownShape | undefined =>
    shape === undefined
      ? undefined
      : [
          shape[0],
          o.channels ?? shape[1],
          ...[0, 1, 2].map((a) => mapDim(spatial[a], (n) => f(n, a), unchanged)),
        ];

  if (o.padding !== 'same') {
    const p = explicit(who, o.padding);
    spatial.forEach((n, a) => {
      if (typeof n === 'number' && n + p[a]![0] + p[a]![1] < extent[a]!) {
        throw new OnnxEmitError(
          `${who}: input too small for the kernel: padded ${'dhw'[a]} size ${n + p[a]![0] + p[a]![1]} < kernel extent ${extent[a]} (input [${shape!.map(String).join(', ')}])`,
        );
      }
    });
    const unchanged = [0, 1, 2].every((a) => stride[a] === 1 && p[a]![0] + p[a]![1] === extent[a]! - 1);
    return {
      input: o.input,
      attributes: padsAttr(p),
      outShape: outShape(
        (n, a) => Math.floor((n + p[a]![0] + p[a]![1] - extent[a]!) / stride[a]!) + 1,
        unchanged,
      ),
    };
  }

  const sameOut = outShape(
    (n, a) => Math.ceil(n / stride[a]!),
    stride.every((s) => s === 1),
  );
  if (stride.every((s) => s === 1)) {
    return {
      input: o.input,
      attributes: padsAttr(extent.map((k) => samePads(1, k, 1, o.clampSame))),
      outShape: sameOut,
    };
  }
  if (spatial.every((n): n is number => typeof n === 'number')) {
    const p = spatial.map((n, a) => samePads(n, extent[a]!, stride[a]!, o.clampSame));
    if (p.every(([f, e]) => f >= 0 && e >= 0))
      return { input: o.input, attributes: padsAttr(p), outShape: sameOut };
    const [padded] = b.node('Pad', {
      inputs: [
        o.input,
        addInt64(b, `${o.prefix}/same_pads`, [0, 0, ...p.map((x) => x[0]), 0, 0, ...p.map((x) => x[1])]),
      ],
      name: `${o.prefix}/same_pad`,
    });
    return {
      input: padded!,
      attributes: padsAttr([
        [0, 0],
        [0, 0],
        [0, 0],
      ]),
      outShape: sameOut,
    };
  }
  const neverNegative = o.clampSame || extent.every((k, a) => k >= stride[a]!);
  if (neverNegative && !o.dilated)
    return { input: o.input, attributes: { auto_pad: 'SAME_UPPER' }, outShape: sameOut };
  return {
    input: dynamicSamePad(b, o),
    attributes: padsAttr([
      [0, 0],
      [0, 0],
      [0, 0],
    ]),
    outShape: sameOut,
  };
}

/** `Pad` of the input by the `'same'` pads computed from its run-time spatial size (int64 arithmetic). */
function dynamicSamePad(b: GraphBuilder, o: WindowOptions): string {
  const p = o.prefix;
  const node = (op: string, inputs: string[], name: string, attributes?: Record<string, AttributeValue>) =>
    b.node(op, { inputs, name: `${p}/${name}`, ...(attributes === undefined ? {} : { attributes }) })[0]!;
  const c = (name: string, values: readonly number[]) => addInt64(b, `${p}/${name}`, values);
  const n = node('Shape', [o.input], 'spatial_size', { start: attr.int(2) }); // [d, h, w]
  const s = c('same_stride', o.stride);
  const out = node(
    'Div',
    [
      node(
        'Add',
        [
          n,
          c(
            'same_stride_minus_1',
            o.stride.map((v) => v - 1),
          ),
        ],
        'same_ceil_num',
      ),
      s,
    ],
    'same_out',
  ); // ⌈n/s⌉
  // total = (out − 1)·s + k − n = out·s + (k − s) − n
  let total = node(
    'Sub',
    [
      node(
        'Add',
        [
          node('Mul', [out, s], 'same_span'),
          c(
            'same_k_minus_s',
            o.extent.map((k, a) => k - o.stride[a]!),
          ),
        ],
        'same_reach',
      ),
      n,
    ],
    'same_total',
  );
  if (o.clampSame) total = node('Max', [total, c('same_zero', [0, 0, 0])], 'same_total_clamped');
  const two = c('same_two', [2]);
  // ⌊total/2⌋ for negative totals too: (total − total mod 2) / 2, with ONNX integer Mod taking the divisor's sign.
  const front = node(
    'Div',
    [node('Sub', [total, node('Mod', [total, two], 'same_parity')], 'same_even'), two],
    'same_front',
  );
  const back = node('Sub', [total, front], 'same_back');
  const zeros = c('same_batch_channel', [0, 0]);
  const pads = node('Concat', [zeros, front, zeros, back], 'same_pads', { axis: attr.int(0) });
  return node('Pad', [o.input, pads], 'same_pad');
}
