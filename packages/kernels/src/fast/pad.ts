import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { PadV2, type TensorInfo } from '@tensorflow/tfjs-core';
import { alloc, copyBox, sizeOf, stridesOf, values, type FastBody } from './common.js';

/** Constant padding: fill the output once, then copy the input box in contiguous runs. */
const padV2: FastBody = (inputs, backend: MathBackendCPU, attrs) => {
  const { x } = inputs as Record<string, TensorInfo>;
  const xv = values(backend, x);
  if (!x || !xv || x.shape.length === 0 || x.shape.length > 6 || sizeOf(x.shape) === 0) return null;
  const paddings = attrs.paddings as Array<[number, number]> | undefined;
  const value = Number(attrs.constantValue ?? 0);
  if (!paddings || paddings.length !== x.shape.length) return null;
  if (paddings.some((p) => !Number.isInteger(p[0]) || !Number.isInteger(p[1]) || p[0] < 0 || p[1] < 0)) return null;
  const outShape = x.shape.map((d, i) => (paddings[i] as [number, number])[0] + d + (paddings[i] as [number, number])[1]);
  const out = alloc(x.dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  const os = stridesOf(outShape);
  let off = 0;
  for (let i = 0; i < outShape.length; i++) off += (paddings[i] as [number, number])[0] * (os[i] as number);
  copyBox(xv, stridesOf(x.shape), 0, out, os, off, x.shape);
  return backend.makeTensorInfo(outShape, x.dtype, out);
};

/** Kernel bodies by tfjs kernel name. */
export const PAD_BODIES: ReadonlyArray<readonly [string, FastBody]> = [[PadV2, padV2]];
