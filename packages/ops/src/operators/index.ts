import type { OperatorSpec } from '../operator-spec.js';
import { conv3x3x1 } from './conv-3x3x1.js';
import { conv3x3x3 } from './conv-3x3x3.js';
import { dilConv3x3x3 } from './dil-conv-3x3x3.js';
import { identity } from './identity.js';
import { p3d3x3x1 } from './p3d-3x3x1.js';
import { avgPool3x3x3, maxPool3x3x3 } from './pool-3x3x3.js';
import { sepConv3x3x3 } from './sep-conv-3x3x3.js';
import { tconv3x3x3 } from './tconv-3x3x3.js';
import { zero } from './zero.js';

/** The built-in operators, in their documented order. The registry is this array plus `registerOperator` calls. */
export const BUILTIN_OPERATORS: readonly OperatorSpec[] = Object.freeze([
  zero,
  identity,
  conv3x3x3,
  conv3x3x1,
  p3d3x3x1,
  dilConv3x3x3,
  sepConv3x3x3,
  maxPool3x3x3,
  avgPool3x3x3,
  tconv3x3x3,
]);

export { zero, identity, conv3x3x3, conv3x3x1, p3d3x3x1, dilConv3x3x3, sepConv3x3x3, maxPool3x3x3, avgPool3x3x3, tconv3x3x3 };
