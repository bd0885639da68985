import { OnnxEmitError } from './errors.js';
import { attr, type GraphBuilder } from './graph-builder.js';
import { checkInput, prefixOf, setFloat, show, triple } from './internal/emit-util.js';
import { planWindow } from './internal/window.js';

/** Options of {@link emitPool3d} (those of `@voxnas/ops` `pool3d`). */
export interface EmitPool3dOptions {
  readonly kind: 'max' | 'avg';
  /** Window per axis [d, h, w] or one number. Default 3. */
  readonly kernel?: number | readonly [number, number, number];
  /** Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** Default `'same'`: output ⌈n / stride⌉; average pooling then averages only the voxels inside the volume. */
  readonly padding?: 'same' | 'valid';
  /** Default `'maxPool3d'` / `'avgPool3d'`. */
  readonly name?: string;
}

/**
 * Emits `@voxnas/ops` `pool3d` as an ONNX `MaxPool` or `AveragePool`. voxnas pads `'same'` explicitly
 * (−∞ for max, and average pooling divides by the voxels inside the volume); ONNX's pads mean the same
 * for `MaxPool` and, with `count_include_pad = 0`, for `AveragePool`. Returns the output name.
 *
 * @throws OnnxEmitError for an unknown kind, a bad kernel, stride or padding, or a static input smaller
 *   than the kernel with `'valid'`.
 * @example
 * const y = emitPool3d(b, x, { kind: 'max', kernel: 2, stride: 2 }); // the U-Net's down-sampling
 */
export function emitPool3d(b: GraphBuilder, input: string, options: EmitPool3dOptions): string {
  const fallback = options?.kind === 'avg' ? 'avgPool3d' : 'maxPool3d';
  const prefix = prefixOf(options?.name, fallback);
  const who = `emitPool3d(${prefix})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object' || (options.kind !== 'max' && options.kind !== 'avg')) {
    throw new OnnxEmitError(`${who}: kind must be 'max' or 'avg', got ${show(options?.kind)}`);
  }
  const kernel = triple(who, 'kernel', options.kernel ?? 3);
  const stride = triple(who, 'stride', options.stride ?? 1);
  const padding = options.padding ?? 'same';
  if (padding !== 'same' && padding !== 'valid') {
    throw new OnnxEmitError(`${who}: padding must be 'same' or 'valid', got ${show(padding)}`);
  }
  // voxnas pads 'same' pooling by max(total, 0) — never negative, so no dilation or crop case arises.
  const plan = planWindow(b, {
    who,
    prefix,
    input,
    shape,
    padding,
    extent: kernel,
    stride,
    dilated: false,
    clampSame: true,
    channels: undefined,
  });
  const [y] = b.node(options.kind === 'max' ? 'MaxPool' : 'AveragePool', {
    inputs: [plan.input],
    name: prefix,
    attributes: {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(stride),
      ...plan.attributes,
      ...(options.kind === 'avg' ? { count_include_pad: attr.int(0) } : {}),
    },
  });
  setFloat(b, y!, plan.outShape);
  return y!;
}
