import { OnnxEmitError } from './errors.js';
import type { GraphBuilder } from './graph-builder.js';
import { addFloat, checkInput, mapDim, prefixOf, setFloat, show, triple } from './internal/emit-util.js';

/** Options of {@link emitUpsample3d} (those of `@voxnas/ops` `upsample3d`). */
export interface EmitUpsample3dOptions {
  /** Integer factor per axis [d, h, w] or one number. Default 2. */
  readonly scale?: number | readonly [number, number, number];
  /** Default `'trilinear'`. */
  readonly mode?: 'trilinear' | 'nearest';
  /** Default `'upsample3d'`. */
  readonly name?: string;
}

/**
 * Emits `@voxnas/ops` `upsample3d` (PyTorch `F.interpolate(align_corners=False)`) as an ONNX `Resize`
 * with `scales [1, 1, sd, sh, sw]`: trilinear is `mode 'linear'` with `coordinate_transformation_mode
 * 'half_pixel'` (source coordinate (o + 0.5)/s − 0.5, clamped to the volume — identical to PyTorch's
 * `pytorch_half_pixel` since no output axis has length 1); nearest is `mode 'nearest'`, `'asymmetric'`,
 * `nearest_mode 'floor'` (source voxel ⌊o / s⌋). Returns the output name.
 *
 * @throws OnnxEmitError for a non-integer scale or an unknown mode.
 * @example
 * const up = emitUpsample3d(b, x, { scale: 2, mode: 'trilinear' }); // [n, c, d, h, w] → [n, c, 2d, 2h, 2w]
 */
export function emitUpsample3d(b: GraphBuilder, input: string, options: EmitUpsample3dOptions = {}): string {
  const prefix = prefixOf(options?.name, 'upsample3d');
  const who = `emitUpsample3d(${prefix})`;
  const shape = checkInput(b, who, input);
  const scale = triple(who, 'scale', options.scale ?? 2);
  const mode = options.mode ?? 'trilinear';
  if (mode !== 'trilinear' && mode !== 'nearest') {
    throw new OnnxEmitError(`${who}: mode must be 'trilinear' or 'nearest', got ${show(mode)}`);
  }
  const scales = addFloat(b, `${prefix}/scales`, Float32Array.from([1, 1, ...scale]), [5]);
  const [y] = b.node('Resize', {
    inputs: [input, '', scales],
    name: prefix,
    attributes:
      mode === 'trilinear'
        ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
        : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
  });
  setFloat(
    b,
    y!,
    shape === undefined
      ? undefined
      : [
          shape[0],
          shape[1],
          ...[0, 1, 2].map((a) => mapDim(shape[a + 2], (n) => n * scale[a]!, scale[a] === 1)),
        ],
  );
  return y!;
}
