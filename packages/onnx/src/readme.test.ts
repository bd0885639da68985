// The README example, verbatim apart from imports, the leak check and the assertions, so it cannot rot.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { Conv3d, instanceNorm3d } from '@voxnas/ops';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import {
  createGraphBuilder,
  emitConv3d,
  emitInstanceNorm3d,
  emitRelu,
  emitSoftmax,
  ncdhwToNdhwc,
} from './index.js';

it('README example', async () => {
  await expectNoLeaks(async () => {
    const conv = new Conv3d({
      channelsIn: 1,
      channelsOut: 2,
      kernel: 3,
      stride: 2,
      bias: true,
      rng: new Rng(1),
    });
    const weight = { data: conv.weight.dataSync() as Float32Array, shape: conv.weight.shape }; // [kd, kh, kw, cIn, cOut]
    const bias = conv.bias!.dataSync() as Float32Array;

    const b = createGraphBuilder({ opset: 17 });
    const image = b.input('image', { dtype: 'float32', shape: ['N', 1, 'D', 'H', 'W'] }); // NCDHW: D = z, H = y, W = x
    let h = emitConv3d(b, image, { weight, bias, stride: 2, name: 'conv' }); // initializers conv/weight, conv/bias
    h = emitRelu(b, emitInstanceNorm3d(b, h, { name: 'norm' }));
    const probabilities = emitSoftmax(b, h, { name: 'probabilities' }); // over the channel axis
    b.output(probabilities); // float32 [N, 2, ?, ?, ?]
    b.metadata('voxnas.layout', 'NCDHW');
    const bytes = b.toBytes(); // the .onnx file: await writeFile('model.onnx', bytes)

    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor(
      'float32',
      new Float32Array(5 * 6 * 7).map((_, i) => Math.sin(i)),
      [1, 1, 5, 6, 7],
    );
    const { probabilities: p } = await session.run({ image: x }); // p.dims [1, 2, 3, 3, 4]

    expect(p!.dims).toEqual([1, 2, 3, 3, 4]);
    const input = tf.tensor5d(x.data as Float32Array, [1, 5, 6, 7, 1]);
    const want = tf.tidy(() => tf.softmax(tf.relu(instanceNorm3d(conv.apply(input))), 4));
    const got = ncdhwToNdhwc({ data: p!.data as Float32Array, shape: p!.dims });
    expectClose(got.data, want.dataSync(), { atol: 1e-6, rtol: 1e-5 });
    tf.dispose([input, want]);
    conv.dispose();
    await session.release();
  });
});
