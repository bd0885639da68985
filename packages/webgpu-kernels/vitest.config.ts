import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config';

export default mergeConfig(base, { test: { setupFiles: ['@voxnas/testing/setup-tf'] } });
