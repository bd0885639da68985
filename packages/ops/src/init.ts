import type { Rng } from '@voxnas/core';
import { InvalidArgumentError } from '@voxnas/core';

/**
 * A weight initialiser: fills `size` float32 values from `rng` given the fan-in/fan-out of the weight.
 * Computed in JavaScript from the seeded `Rng`, so the same seed gives bit-identical weights on every
 * backend.
 */
export type Initializer = (ctx: { size: number; fanIn: number; fanOut: number; rng: Rng }) => Float32Array;

/**
 * He (Kaiming) normal initialiser for layers followed by ReLU: N(0, 2 / fanIn).
 *
 * @example
 * const w = heNormal({ size: 27 * 4 * 8, fanIn: 27 * 4, fanOut: 27 * 8, rng: new Rng(1) });
 */
export const heNormal: Initializer = ({ size, fanIn, rng }) => {
  checkFan('heNormal', fanIn);
  const std = Math.sqrt(2 / fanIn);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
};

/**
 * Glorot (Xavier) uniform initialiser: U(−a, a) with a = √(6 / (fanIn + fanOut)).
 *
 * @example
 * const w = glorotUniform({ size: 16, fanIn: 4, fanOut: 4, rng: new Rng(1) });
 */
export const glorotUniform: Initializer = ({ size, fanIn, fanOut, rng }) => {
  checkFan('glorotUniform', fanIn + fanOut);
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-a, a);
  return out;
};

/**
 * Constant initialiser (no random draws).
 *
 * @example
 * const ones = constantInit(1)({ size: 4, fanIn: 1, fanOut: 1, rng: new Rng(0) }); // Float32Array [1,1,1,1]
 */
export function constantInit(value: number): Initializer {
  return ({ size }) => new Float32Array(size).fill(value);
}

function checkFan(name: string, fan: number): void {
  if (!(fan > 0)) throw new InvalidArgumentError(`${name}: fan must be > 0, got ${fan}`);
}
