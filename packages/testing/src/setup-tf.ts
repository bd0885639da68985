/** Vitest setup file: pins the pure-JS CPU backend so results are deterministic across machines. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tf.setBackend(process.env.VOXNAS_TEST_BACKEND ?? 'cpu');
await tf.ready();
