import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config';
import { browserProject } from './src/index';

/** Bare imports of the voxnas packages the voxnas/*.browser.test.ts files load from source. */
const VOXNAS_DEPS = [
  '@tensorflow/tfjs-core/dist/register_all_gradients.js',
  '@voxnas/volume > fflate',
  '@voxnas/volume > nifti-reader-js',
];

export default mergeConfig(base, { test: { projects: [browserProject({ extraDeps: VOXNAS_DEPS, globalSetup: ['src/global-setup.ts'] })] } });
