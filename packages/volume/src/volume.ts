import { identityMatrix4, InvalidArgumentError, ShapeMismatchError } from '@voxnas/core';
import { GeometryError } from './errors.js';

/** The typed array that holds each voxel data type. */
export interface DTypeArrays {
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  uint32: Uint32Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/** A voxel data type name. */
export type DType = keyof DTypeArrays;

/** Every supported dtype, in a stable order. */
export const DTYPES: readonly DType[] = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'float64',
];

/** 4×4 voxel-index → world (RAS+, mm) matrix, row-major, in a Float64Array(16). */
export type Affine = Float64Array;

/** Whether voxel values are intensities (resampled linearly) or labels (nearest neighbour only). */
export type VolumeKind = 'image' | 'label';

/**
 * A 3D (optionally multi-channel) volume in NIfTI memory order: x fastest, then y, then z, then channel.
 * As a tensor it maps to NDHWC `[1, nz, ny, nx, channels]` with no reordering.
 * A built Volume is never written to; operations return new volumes.
 */
export interface Volume<D extends DType = DType> {
  readonly data: DTypeArrays[D];
  readonly dtype: D;
  readonly shape: readonly [nx: number, ny: number, nz: number];
  readonly channels: number;
  readonly affine: Affine;
  readonly kind: VolumeKind;
}

const CTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** Allocates a zero-filled typed array of `dtype`. */
export function allocData<D extends DType>(dtype: D, length: number): DTypeArrays[D] {
  const C = CTORS[dtype];
  if (!C) throw new InvalidArgumentError(`allocData: unknown dtype '${String(dtype)}', expected one of ${DTYPES.join(', ')}`);
  return new C(length) as DTypeArrays[D];
}

/** The dtype name of a typed array, or undefined when it is not one voxnas supports. */
export function dtypeOf(data: ArrayBufferView): DType | undefined {
  for (const d of DTYPES) if (data instanceof CTORS[d]) return d;
  return undefined;
}

/** Number of voxels in one channel. */
export function voxelCount(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/** The identity affine (1 mm isotropic, origin at voxel 0, RAS). */
export function identityAffine(): Affine {
  return identityMatrix4();
}

/** Options of {@link createVolume}. */
export interface CreateVolumeOptions<D extends DType> {
  data: DTypeArrays[D];
  shape: readonly [number, number, number];
  channels?: number;
  affine?: ArrayLike<number>;
  kind?: VolumeKind;
}

/**
 * Builds a validated, frozen Volume. `data.length` must equal nx·ny·nz·channels; the affine must be
 * finite with a non-singular 3×3 part and last row [0 0 0 1]. The affine is copied.
 *
 * @example
 * const v = createVolume({ data: new Float32Array(5 * 6 * 7), shape: [5, 6, 7] });
 */
export function createVolume<D extends DType>(opts: CreateVolumeOptions<D>): Volume<D> {
  const { data, shape } = opts;
  const channels = opts.channels ?? 1;
  const dtype = dtypeOf(data);
  if (!dtype) throw new InvalidArgumentError(`createVolume: data is not a supported typed array`);
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(`createVolume: shape must be 3 positive integers, got [${shape.join(', ')}]`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new InvalidArgumentError(`createVolume: channels must be a positive integer, got ${channels}`);
  }
  const expected = voxelCount(shape) * channels;
  if (data.length !== expected) {
    throw new ShapeMismatchError(
      `createVolume: data has ${data.length} elements, expected ${expected} for shape [${shape.join(', ')}] × ${channels} channel(s)`,
    );
  }
  const affine = Float64Array.from(opts.affine ?? identityAffine());
  validateAffine(affine, 'createVolume');
  const kind = opts.kind ?? 'image';
  if (kind !== 'image' && kind !== 'label') {
    throw new InvalidArgumentError(`createVolume: kind must be 'image' or 'label', got '${String(kind)}'`);
  }
  return Object.freeze({
    data,
    dtype: dtype as D,
    shape: Object.freeze([shape[0], shape[1], shape[2]]) as readonly [number, number, number],
    channels,
    affine,
    kind,
  });
}

/** Throws GeometryError unless `a` is a finite 4×4 affine with invertible linear part and last row 0 0 0 1. */
export function validateAffine(a: ArrayLike<number>, where: string): void {
  if (a.length !== 16) throw new GeometryError(`${where}: affine must have 16 entries, got ${a.length}`);
  for (let i = 0; i < 16; i++) {
    if (!Number.isFinite(a[i]!)) {
      throw new GeometryError(`${where}: affine[${Math.floor(i / 4)}][${i % 4}] is ${a[i]}, expected a finite number`);
    }
  }
  if (a[12] !== 0 || a[13] !== 0 || a[14] !== 0 || a[15] !== 1) {
    throw new GeometryError(`${where}: affine last row is [${a[12]}, ${a[13]}, ${a[14]}, ${a[15]}], expected [0, 0, 0, 1]`);
  }
  const det =
    a[0]! * (a[5]! * a[10]! - a[6]! * a[9]!) -
    a[1]! * (a[4]! * a[10]! - a[6]! * a[8]!) +
    a[2]! * (a[4]! * a[9]! - a[5]! * a[8]!);
  if (!(Math.abs(det) > 1e-12)) {
    throw new GeometryError(`${where}: affine 3×3 part is singular (det ${det}), expected an invertible matrix`);
  }
}

/** Voxel size along i, j, k in mm: the column norms of the affine's 3×3 part. */
export function spacingMm(v: Pick<Volume, 'affine'>): [number, number, number] {
  const a = v.affine;
  const col = (j: number) => Math.hypot(a[j]!, a[4 + j]!, a[8 + j]!);
  return [col(0), col(1), col(2)];
}
