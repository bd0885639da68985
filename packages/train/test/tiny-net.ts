import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';

/**
 * Test-only network with the `Network` shape of `@voxnas/ops` (apply / namedVariables / train / dispose): a 3×3×3 'same' convolution with bias, then a 1×1×1 one.
 * Not exported from the package.
 */
export class TinyNet {
  training = true;
  private readonly vars: Array<{ path: string; variable: tf.Variable; trainable: boolean }>;

  constructor(rng: Rng, { channelsIn = 1, hidden = 3, channelsOut = 2 } = {}) {
    const make = (path: string, shape: number[], scale: number) => {
      const t = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale), shape);
      const variable = tf.variable(t, true);
      t.dispose();
      return { path, variable, trainable: true };
    };
    this.vars = [
      make('conv1/weight', [3, 3, 3, channelsIn, hidden], 0.3),
      make('conv1/bias', [hidden], 0.1),
      make('conv2/weight', [1, 1, 1, hidden, channelsOut], 0.5),
      make('conv2/bias', [channelsOut], 0.1),
    ];
  }

  apply(x: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const [w1, b1, w2, b2] = this.vars.map((v) => v.variable) as unknown as [tf.Tensor5D, tf.Tensor1D, tf.Tensor5D, tf.Tensor1D];
      const h = tf.relu(tf.add(tf.conv3d(x, w1, 1, 'same'), b1)) as tf.Tensor5D;
      return tf.add(tf.conv3d(h, w2, 1, 'same'), b2) as tf.Tensor5D;
    });
  }

  namedVariables() {
    return this.vars;
  }

  train(mode = true): this {
    this.training = mode;
    return this;
  }

  weights(): Float32Array[] {
    return this.vars.map((v) => v.variable.dataSync() as Float32Array);
  }

  dispose(): void {
    for (const v of this.vars) v.variable.dispose();
  }
}
