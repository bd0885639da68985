import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config';
import { browserProject } from './src/index';

export default mergeConfig(base, { test: { projects: [browserProject()] } });
