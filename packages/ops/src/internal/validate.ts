import type * as tf from '@tensorflow/tfjs-core';
import { OperatorInputError } from '../errors.js';

export type Triple = readonly [number, number, number];

/** Normalises a number or [d, h, w] triple of positive integers. */
export function triple(who: string, field: string, v: number | readonly number[]): [number, number, number] {
  const t = typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new OperatorInputError(`${who}: ${field} must be a positive integer or [d, h, w] of them, got ${JSON.stringify(v)}`);
  }
  return t as [number, number, number];
}

/** Throws unless `x` is rank 5 (NDHWC) with `channels` channels (when given). */
export function checkNdhwc(who: string, x: tf.Tensor, channels?: number): void {
  if (x.rank !== 5) {
    throw new OperatorInputError(`${who}: expected a rank-5 NDHWC tensor [n, z, y, x, c], got shape [${x.shape.join(', ')}]`);
  }
  if (channels !== undefined && x.shape[4] !== channels) {
    throw new OperatorInputError(
      `${who}: expected ${channels} input channels (last axis of NDHWC), got ${x.shape[4]} in shape [${x.shape.join(', ')}]`,
    );
  }
}

/** Output length of a strided window along one axis. */
export function outLength(n: number, k: number, s: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
}

/** Resolves `'same' | 'valid' | p | [pd, ph, pw]` into a tfjs pad mode plus explicit symmetric zero padding. */
export function resolvePadding(
  who: string,
  padding: 'same' | 'valid' | number | readonly number[],
): { pad: 'same' | 'valid'; explicit: [number, number, number] | null } {
  if (padding === 'same' || padding === 'valid') return { pad: padding, explicit: null };
  const t = typeof padding === 'number' ? [padding, padding, padding] : Array.isArray(padding) ? [...padding] : [];
  if (t.length !== 3 || t.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new OperatorInputError(
      `${who}: padding must be 'same', 'valid', a non-negative integer or [d, h, w] of them, got ${JSON.stringify(padding)}`,
    );
  }
  return { pad: 'valid', explicit: t.every((p) => p === 0) ? null : (t as [number, number, number]) };
}
