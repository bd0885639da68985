import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config';

// One test file at a time: the browser tests share dist/ (built when stale) and the two cores.
export default mergeConfig(base, { test: { include: ['test/**/*.test.ts'], setupFiles: ['@voxnas/testing/setup-tf'], fileParallelism: false } });
