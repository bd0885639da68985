export { testOperator } from './test-operator.js';
export type { TestOperatorOptions } from './test-operator.js';
export { checkGradients } from './gradient-check.js';
export type { GradientCheckOptions, GradientCheckResult, DirectionalCheck } from './gradient-check.js';
