import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  AvgPool3D,
  AvgPool3DGrad,
  backend_util,
  Conv3D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  MaxPool3D,
  MaxPool3DGrad,
  util,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { Addon } from './addon.js';

/** A kernel body: returns null when it cannot handle the case (the JavaScript kernel then runs). */
type NativeBody = (
  addon: Addon,
  inputs: Record<string, TensorInfo>,
  backend: MathBackendCPU,
  attrs: NamedAttrMap,
) => TensorInfo | null;

type Conv3DPad = 'valid' | 'same' | number;
type Tuple3 = [number, number, number];

/** Float32 contents of a tensor held by the CPU backend, or null (other dtype, empty, complex). */
function f32(backend: MathBackendCPU, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32' || util.sizeFromShape(t.shape) === 0) return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/**
 * tfjs computes SAME padding without clamping at 0, so a window smaller than its stride can get a
 * negative pad (the windows shift inwards). oneDNN has no negative padding: those cases go to the
 * JavaScript kernel.
 */
function hasNegativePad(info: backend_util.Conv3DInfo): boolean {
  const p = info.padInfo;
  return Math.min(p.front, p.back, p.top, p.bottom, p.left, p.right) < 0;
}

function convGeom(info: backend_util.Conv3DInfo): Int32Array | null {
  if (hasNegativePad(info)) return null;
  const p = info.padInfo;
  return Int32Array.from([
    info.batchSize, info.inDepth, info.inHeight, info.inWidth, info.inChannels,
    info.filterDepth, info.filterHeight, info.filterWidth, info.outChannels,
    info.outDepth, info.outHeight, info.outWidth,
    info.strideDepth, info.strideHeight, info.strideWidth,
    info.dilationDepth, info.dilationHeight, info.dilationWidth,
    p.front, p.top, p.left, p.back, p.bottom, p.right,
  ]);
}

function poolGeom(info: backend_util.Conv3DInfo): Int32Array | null {
  if (hasNegativePad(info)) return null;
  const p = info.padInfo;
  // oneDNN checks out = (in + padL + padR - k) / s + 1; with dimRoundingMode 'ceil' the last window
  // may reach past tfjs's padding, so padR grows to what the output size implies (windows are
  // clipped to the input either way, for max and for average-excluding-padding).
  const right = (out: number, s: number, k: number, n: number, l: number, r: number) =>
    Math.max(r, (out - 1) * s + k - n - l);
  return Int32Array.from([
    info.batchSize, info.inDepth, info.inHeight, info.inWidth, info.inChannels,
    info.filterDepth, info.filterHeight, info.filterWidth,
    info.outDepth, info.outHeight, info.outWidth,
    info.strideDepth, info.strideHeight, info.strideWidth,
    p.front, p.top, p.left,
    right(info.outDepth, info.strideDepth, info.filterDepth, info.inDepth, p.front, p.back),
    right(info.outHeight, info.strideHeight, info.filterHeight, info.inHeight, p.top, p.bottom),
    right(info.outWidth, info.strideWidth, info.filterWidth, info.inWidth, p.left, p.right),
  ]);
}

const isNdhwc = (attrs: NamedAttrMap) => attrs.dataFormat === undefined || attrs.dataFormat === 'NDHWC';
const isOne = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

const conv3d: NativeBody = (addon, { x, filter }, backend, attrs) => {
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (!x || !filter || !xv || !wv || !isNdhwc(attrs)) return null;
  const info = backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    filter.shape as [number, number, number, number, number],
    attrs.strides as Tuple3 | number,
    (attrs.dilations ?? 1) as Tuple3 | number,
    attrs.pad as Conv3DPad,
  );
  const geom = convGeom(info);
  const y = new Float32Array(util.sizeFromShape(info.outShape));
  if (!geom || y.length === 0) return null;
  addon.conv3dForward(xv, wv, y, geom);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
};

/** Honours an optional `dilations` attribute (tfjs's own kernel ignores it); see conv3d-gradient.ts. */
const conv3dBackpropInput: NativeBody = (addon, { dy, filter }, backend, attrs) => {
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  if (!dy || !filter || !dyv || !wv) return null;
  const inputShape = attrs.inputShape as [number, number, number, number, number];
  const info = backend_util.computeConv3DInfo(
    inputShape,
    filter.shape as [number, number, number, number, number],
    attrs.strides as Tuple3 | number,
    (attrs.dilations ?? 1) as Tuple3 | number,
    attrs.pad as Conv3DPad,
  );
  const geom = convGeom(info);
  const dx = new Float32Array(util.sizeFromShape(inputShape));
  if (!geom || dx.length === 0) return null;
  addon.conv3dBackpropInput(dyv, wv, dx, geom);
  return backend.makeTensorInfo(inputShape, 'float32', dx);
};

/** Honours an optional `dilations` attribute (tfjs's own kernel ignores it); see conv3d-gradient.ts. */
const conv3dBackpropFilter: NativeBody = (addon, { x, dy }, backend, attrs) => {
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!x || !dy || !xv || !dyv) return null;
  const filterShape = attrs.filterShape as [number, number, number, number, number];
  const info = backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    filterShape,
    attrs.strides as Tuple3 | number,
    (attrs.dilations ?? 1) as Tuple3 | number,
    attrs.pad as Conv3DPad,
  );
  const geom = convGeom(info);
  const dw = new Float32Array(util.sizeFromShape(filterShape));
  if (!geom || dw.length === 0) return null;
  addon.conv3dBackpropFilter(xv, dyv, dw, geom);
  return backend.makeTensorInfo(filterShape, 'float32', dw);
};

function poolInfo(shape: number[], attrs: NamedAttrMap): backend_util.Conv3DInfo {
  return backend_util.computePool3DInfo(
    shape as [number, number, number, number, number],
    attrs.filterSize as Tuple3 | number,
    attrs.strides as Tuple3 | number,
    1,
    attrs.pad as Conv3DPad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

function pool3d(mode: 'max' | 'avg'): NativeBody {
  return (addon, { x }, backend, attrs) => {
    const xv = f32(backend, x);
    if (!x || !xv || !isNdhwc(attrs) || !isOne(attrs.dilations)) return null;
    const info = poolInfo(x.shape, attrs);
    const geom = poolGeom(info);
    const y = new Float32Array(util.sizeFromShape(info.outShape));
    if (!geom || y.length === 0) return null;
    addon.pool3dForward(mode, xv, y, geom);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

const maxPool3dGrad: NativeBody = (addon, { dy, input }, backend, attrs) => {
  const dyv = f32(backend, dy);
  const xv = f32(backend, input);
  if (!dy || !input || !dyv || !xv) return null;
  const geom = poolGeom(poolInfo(input.shape, attrs));
  if (!geom) return null;
  const dx = new Float32Array(xv.length);
  addon.maxPool3dBackward(xv, dyv, dx, geom);
  return backend.makeTensorInfo(input.shape, 'float32', dx);
};

const avgPool3dGrad: NativeBody = (addon, { dy, input }, backend, attrs) => {
  const dyv = f32(backend, dy);
  if (!dy || !input || !dyv || input.dtype !== 'float32' || util.sizeFromShape(input.shape) === 0) return null;
  const geom = poolGeom(poolInfo(input.shape, attrs));
  if (!geom) return null;
  const dx = new Float32Array(util.sizeFromShape(input.shape));
  addon.avgPool3dBackward(dyv, dx, geom);
  return backend.makeTensorInfo(input.shape, 'float32', dx);
};

/** Every kernel this package replaces on the 'cpu' backend, by tfjs kernel name. */
export const NATIVE_BODIES: ReadonlyArray<readonly [string, NativeBody]> = [
  [Conv3D, conv3d],
  [Conv3DBackpropInputV2, conv3dBackpropInput],
  [Conv3DBackpropFilterV2, conv3dBackpropFilter],
  [MaxPool3D, pool3d('max')],
  [MaxPool3DGrad, maxPool3dGrad],
  [AvgPool3D, pool3d('avg')],
  [AvgPool3DGrad, avgPool3dGrad],
];

/** Wraps a body as a tfjs kernelFunc that falls back to `fallback` for cases it does not handle. */
export function makeKernelFunc(addon: Addon, body: NativeBody, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const out = body(
      addon,
      args.inputs as Record<string, TensorInfo>,
      args.backend as MathBackendCPU,
      args.attrs ?? {},
    );
    return out ?? fallback(args);
  };
}
