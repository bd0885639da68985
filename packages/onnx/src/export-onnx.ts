import type { Module, OnnxEmitContext } from '@voxnas/ops';
import { emitLeakyRelu, emitPRelu, emitRelu } from './emit-activation.js';
import { emitConv3d, emitConv3dTranspose, emitDepthwiseConv3d } from './emit-conv.js';
import { emitBatchNorm3d, emitGroupNorm3d, emitInstanceNorm3d } from './emit-norm.js';
import { emitPool3d } from './emit-pool.js';
import { emitAdd, emitConcat, emitPad, emitSlice } from './emit-tensor.js';
import { emitUpsample3d } from './emit-upsample.js';
import { OnnxExportError } from './errors.js';
import { attr, createGraphBuilder, type GraphBuilder } from './graph-builder.js';
import { addInt64, setFloat } from './internal/emit-util.js';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /**
   * Channels of the input image. Default: the network's own (`macro.inputChannels` of a child
   * network, `config.inputChannels` of a U-Net); required for any other module.
   */
  readonly inputChannels?: number;
  /** Output channels, declared on the output when known (default: the network's `classes`). */
  readonly outputChannels?: number;
  /** `metadata_props` of the model (string keys and values), e.g. from a model card. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** ONNX opset, 17–21. Default 17. */
  readonly opset?: number;
  /** Graph input name. Default `'image'`. */
  readonly inputName?: string;
  /** Graph output name. Default `'logits'`. */
  readonly outputName?: string;
  /** `producer_version` (e.g. the voxnas version). */
  readonly producerVersion?: string;
  /**
   * How transposed convolutions are written: `'conv-transpose'` (default) or `'conv'` (zero insertion +
   * `Conv`, equal values) for runtimes without 3-D `ConvTranspose` such as ONNX Runtime Web on WebGPU.
   */
  readonly convTranspose?: 'conv-transpose' | 'conv';
}

/** The `metadata_props` keys every export writes. */
export const ONNX_LAYOUT_KEY = 'voxnas.layout';

type Emittable = Module<never, unknown> & { emitOnnx?: (ctx: OnnxEmitContext, input: string) => string };

/** The prototype on `obj`'s chain that defines `key`, or null. */
function ownerOf(obj: object, key: string): object | null {
  let p: object | null = Object.getPrototypeOf(obj) as object | null;
  while (p !== null && !Object.prototype.hasOwnProperty.call(p, key)) p = Object.getPrototypeOf(p) as object | null;
  return p;
}

/** True when `emitOnnx` is defined on the class of `forward` or below it (so it describes that `forward`). */
function mappingIsCurrent(m: object): boolean {
  const emit = ownerOf(m, 'emitOnnx');
  const forward = ownerOf(m, 'forward');
  if (emit === null) return false;
  if (forward === null || emit === forward) return true;
  return Object.prototype.isPrototypeOf.call(forward, emit); // emitOnnx defined in a subclass of forward's class
}

function className(m: object): string {
  return (m.constructor as { name?: string } | undefined)?.name || 'anonymous class';
}

function inferChannels(network: object, key: 'inputChannels' | 'classes'): number | undefined {
  const n = network as { macro?: Record<string, unknown>; config?: Record<string, unknown> };
  const v = n.macro?.[key] ?? n.config?.[key];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * Writes a voxnas network — a U-Net, a child network of a genotype, or any module whose parts have
 * an `emitOnnx` (every `@voxnas/ops` module does) — as an ONNX model with its weights. The model
 * takes `image` NCDHW `[N, C, D, H, W]` (D = z, H = y, W = x) with symbolic batch and spatial sizes and
 * returns `logits` NCDHW `[N, classes, D, H, W]`, equal to `network.apply` (eval mode) on the same
 * input transposed to NDHWC. `options.metadata` is written as `metadata_props` (plus `voxnas.layout`).
 * Reads weights synchronously from the network's variables; the network is not changed.
 *
 * @throws OnnxExportError naming the module path (and the operator it belongs to) when a module has
 *   no ONNX mapping (a custom module without `emitOnnx`, a custom operator without `onnx`, a
 *   subclass that changed `forward`), or when the input channels cannot be inferred.
 * @example
 * const bytes = exportOnnx(child, { metadata: { 'voxnas.labels': JSON.stringify({ 0: 'background', 1: 'tumour' }) } });
 * await writeFile('model.onnx', bytes); // ort.InferenceSession.create(bytes) runs it
 */
export function exportOnnx(network: Module<never, unknown>, options: ExportOnnxOptions = {}): Uint8Array {
  if (network === null || typeof network !== 'object' || typeof (network as { children?: unknown }).children !== 'function') {
    throw new OnnxExportError(`exportOnnx: expected a voxnas Module (a network), got ${String(network)}`);
  }
  const channels = options.inputChannels ?? inferChannels(network, 'inputChannels');
  if (channels === undefined || !Number.isInteger(channels) || channels < 1) {
    throw new OnnxExportError(
      `exportOnnx(${className(network)}): inputChannels is ${String(options.inputChannels)}, expected a positive integer (give options.inputChannels for a module that is not a U-Net or child network)`,
    );
  }
  const classes = options.outputChannels ?? inferChannels(network, 'classes');
  const b = createGraphBuilder({
    opset: options.opset ?? 17,
    ...(options.producerVersion !== undefined ? { producerVersion: options.producerVersion } : {}),
  });
  const inputName = options.inputName ?? 'image';
  const outputName = options.outputName ?? 'logits';
  const x = b.input(inputName, { dtype: 'float32', shape: ['N', channels, 'D', 'H', 'W'] });
  const ctx = createContext(b, options.convTranspose ?? 'conv-transpose');
  let y = ctx.module(network, x, '');
  // Give the result the requested output name (an Identity node; also covers y === x).
  [y] = b.node('Identity', { inputs: [y], outputs: [outputName], name: outputName }) as [string];
  setFloat(b, y, ['N', classes ?? 'C', 'D', 'H', 'W']);
  b.output(y, { dtype: 'float32', shape: ['N', classes ?? 'C', 'D', 'H', 'W'] });
  b.metadata(ONNX_LAYOUT_KEY, 'NCDHW');
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (key === ONNX_LAYOUT_KEY) continue;
    if (typeof value !== 'string') {
      throw new OnnxExportError(`exportOnnx: metadata["${key}"] is ${typeof value}, expected a string (JSON.stringify objects)`);
    }
    b.metadata(key, value);
  }
  return b.toBytes();
}

function createContext(b: GraphBuilder, lowering: 'conv-transpose' | 'conv'): OnnxEmitContext {
  const path: string[] = [];
  const operators: string[] = [];
  const here = () => path.filter((p) => p.length > 0).join('/') || 'network';
  const named = (suffix?: string) => (suffix === undefined ? here() : `${here()}/${suffix}`);
  const scoped = <T>(name: string, body: () => T): T => {
    path.push(name);
    try {
      return body();
    } finally {
      path.pop();
    }
  };
  const ctx: OnnxEmitContext = {
    module(child, input, name, emit) {
      return scoped(name, () => {
        if (emit !== undefined) return emit(ctx, input);
        const m = child as Emittable;
        if (typeof m?.emitOnnx !== 'function' || !mappingIsCurrent(m)) {
          const op = operators.length > 0 ? ` of operator "${operators[operators.length - 1]}"` : '';
          const why =
            typeof m?.emitOnnx === 'function'
              ? `its class overrides forward() without its own emitOnnx()`
              : `it has no emitOnnx()`;
          const hint =
            operators.length > 0
              ? `give the operator's spec an onnx(ctx, input, module) mapping in defineOperator, or its module an emitOnnx(ctx, input) method`
              : `give the module an emitOnnx(ctx, input) method`;
          throw new OnnxExportError(`exportOnnx: module "${here()}" (${className(m)})${op} has no ONNX mapping: ${why}; ${hint}`);
        }
        return m.emitOnnx(ctx, input);
      });
    },
    operator(operatorName, body) {
      operators.push(operatorName);
      try {
        return body();
      } finally {
        operators.pop();
      }
    },
    scope: (name, body) => scoped(name, body),
    conv3d: (x, o) => emitConv3d(b, x, { ...o, name: named(o.name) }),
    depthwiseConv3d: (x, o) => emitDepthwiseConv3d(b, x, { ...o, name: named(o.name) }),
    conv3dTranspose: (x, o) => emitConv3dTranspose(b, x, { ...o, lowering, name: named(o.name) }),
    instanceNorm3d: (x, o) => emitInstanceNorm3d(b, x, { ...o, name: named(o.name) }),
    groupNorm3d: (x, o) => emitGroupNorm3d(b, x, { ...o, name: named(o.name) }),
    batchNorm3d: (x, o) => emitBatchNorm3d(b, x, { ...o, name: named(o.name) }),
    relu: (x, o) => emitRelu(b, x, { name: named(o?.name) }),
    leakyRelu: (x, o) => emitLeakyRelu(b, x, { alpha: o.alpha, name: named(o.name) }),
    prelu: (x, o) => emitPRelu(b, x, { alpha: o.alpha, name: named(o.name) }),
    pool3d: (x, o) => emitPool3d(b, x, { ...o, name: named(o.name) }),
    upsample3d: (x, o) => emitUpsample3d(b, x, { ...o, name: named(o.name) }),
    add: (xs, o) => (xs.length === 1 ? xs[0]! : emitAdd(b, xs, { name: named(o?.name ?? 'add') })),
    concat: (xs, o) => (xs.length === 1 ? xs[0]! : emitConcat(b, xs, { axis: 1, name: named(o?.name ?? 'concat') })),
    slice: (x, o) => emitSlice(b, x, { ...o, name: named(o.name) }),
    pad: (x, o) => emitPad(b, x, { ...o, name: named(o.name) }),
    zeros: (like, o) => emitZeros(b, like, { ...o, name: named(o.name ?? 'zeros') }),
  };
  return ctx;
}

/** `ConstantOfShape` of `[n, channels, ⌈d/s⌉·u, ⌈h/s⌉·u, ⌈w/s⌉·u]` computed from `like`'s shape (dynamic sizes). */
function emitZeros(
  b: GraphBuilder,
  like: string,
  o: { channels: number; stride?: 1 | 2; upsample?: 1 | 2; name: string },
): string {
  if (!Number.isInteger(o.channels) || o.channels < 1) {
    throw new OnnxExportError(`exportOnnx: zeros at "${o.name}" with ${String(o.channels)} channels, expected a positive integer`);
  }
  const p = o.name;
  const [shape] = b.node('Shape', { inputs: [like], name: `${p}/shape` });
  const slice = (from: number, to: number, name: string) =>
    b.node('Slice', {
      inputs: [shape!, addInt64(b, `${p}/${name}/starts`, [from]), addInt64(b, `${p}/${name}/ends`, [to])],
      name: `${p}/${name}`,
    })[0]!;
  const n = slice(0, 1, 'batch');
  let spatial = slice(2, 5, 'spatial');
  if ((o.stride ?? 1) === 2) {
    const [plus] = b.node('Add', { inputs: [spatial, addInt64(b, `${p}/one`, [1])], name: `${p}/ceil_add` });
    [spatial] = b.node('Div', { inputs: [plus!, addInt64(b, `${p}/two`, [2])], name: `${p}/ceil_div` }) as [string];
  }
  if ((o.upsample ?? 1) === 2) {
    [spatial] = b.node('Mul', { inputs: [spatial, addInt64(b, `${p}/scale`, [2])], name: `${p}/up` }) as [string];
  }
  const [full] = b.node('Concat', {
    inputs: [n, addInt64(b, `${p}/channels`, [o.channels]), spatial],
    name: `${p}/dims`,
    attributes: { axis: attr.int(0) },
  });
  const [y] = b.node('ConstantOfShape', {
    inputs: [full!],
    name: p,
    attributes: { value: attr.tensor({ data: new Float32Array(1), shape: [1] }) },
  });
  setFloat(b, y!, [undefined, o.channels, undefined, undefined, undefined]);
  return y!;
}
