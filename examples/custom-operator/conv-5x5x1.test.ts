// The operator contract of @voxnas/ops, run on the custom operator: shapes at strides 1 and 2 and on
// expansion edges, gradients against central differences, cost params equal to the counted
// parameters, no tensor leaks, seeded weights, a weights round trip, typed errors, registry lookup.
import { getOperator } from '@voxnas/ops';
import { testOperator } from '@voxnas/ops/testing';
import { expect, it } from 'vitest';
import { conv5x5x1 } from './conv-5x5x1.mjs';

testOperator(conv5x5x1);

it('importing the plugin registered it under its name', () => {
  expect(getOperator('conv-5x5x1')).toBe(conv5x5x1);
});
