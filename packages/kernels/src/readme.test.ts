// The README example, verbatim apart from the assertions at the end.
import * as tf from '@tensorflow/tfjs'; // tfjs-core + cpu backend + gradients
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { expect, it } from 'vitest';
import { nativeStatus, registerNativeKernels, setNativeThreads, unregisterNativeKernels } from './index.js';

it('README example', () =>
  expectNoLeaks(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels(); // importing the package registers nothing; initBackend of @voxnas/ops calls this
    console.log(nativeStatus.loaded ? `oneDNN: ${nativeStatus.kernels.join(', ')}` : nativeStatus.reason);
    setNativeThreads(2); // default: every core (or OMP_NUM_THREADS)

    const x = tf.randomNormal([1, 9, 10, 11, 4], 0, 1, 'float32', 1) as tf.Tensor5D; // NDHWC
    const w = tf.randomNormal([3, 3, 3, 4, 8], 0, 0.1, 'float32', 2) as tf.Tensor5D; // DHWIO
    const y = tf.conv3d(x, w, 1, 'same'); // oneDNN when loaded, same numbers as the JavaScript kernel

    // A dilated conv3d has a gradient (tfjs 4.22 alone throws here).
    const dw = tf.grad((f) => tf.sum(tf.conv3d(x, f as tf.Tensor5D, 1, 'same', 'NDHWC', 2)))(w);

    unregisterNativeKernels(); // the JavaScript kernels again, e.g. for a parity check
    const yJs = tf.conv3d(x, w, 1, 'same');
    registerNativeKernels();

    expect(y.shape).toEqual([1, 9, 10, 11, 8]);
    expect(dw.shape).toEqual([3, 3, 3, 4, 8]);
    expectClose(y.dataSync(), yJs.dataSync(), { atol: 1e-5, rtol: 1e-4 });
    tf.dispose([x, w, y, dw, yJs]);
  }));
