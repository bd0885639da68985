import { testOperator } from '../testing/index.js';
import { BUILTIN_OPERATORS } from './index.js';

for (const spec of BUILTIN_OPERATORS) testOperator(spec);
