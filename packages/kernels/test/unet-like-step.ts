import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';

/**
 * A two-level "U-Net-like" network built directly from tfjs-core ops, for parity tests and the
 * benchmark (voxnas's real U-Net lives in @voxnas/unet). Not a model anyone should train:
 *
 *   e1 = relu(inorm(conv3×3×3(x, cin→c)))        full resolution
 *   e2 = relu(inorm(conv3×3×3(maxpool2(e1), c→2c)))  half resolution
 *   d1 = relu(conv3×3×3(concat(e1, up2(e2)), 3c→c))  nearest ×2 upsampling, cropped to e1
 *   y  = conv1×1×1(avgpool3×3×3 stride 1(d1), c→k)
 *   loss = mean((y − target)²)
 */
export interface UnetLikeWeights {
  w1: tf.Variable;
  w2: tf.Variable;
  w3: tf.Variable;
  w4: tf.Variable;
}

export interface UnetLikeSpec {
  channelsIn: number;
  width: number;
  classes: number;
}

function randn(rng: Rng, shape: number[], scale: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/** He-scaled normal weights, DHWIO, drawn from `rng`. */
export function makeUnetLikeWeights(rng: Rng, { channelsIn, width, classes }: UnetLikeSpec): UnetLikeWeights {
  const make = (shape: [number, number, number, number, number]) => {
    const fanIn = shape[0] * shape[1] * shape[2] * shape[3];
    const init = tf.tensor5d(randn(rng, shape, Math.sqrt(2 / fanIn)), shape);
    const v = tf.variable(init);
    init.dispose();
    return v;
  };
  return {
    w1: make([3, 3, 3, channelsIn, width]),
    w2: make([3, 3, 3, width, 2 * width]),
    w3: make([3, 3, 3, 3 * width, width]),
    w4: make([1, 1, 1, width, classes]),
  };
}

/** Random input and target tensors for a spec, NDHWC. */
export function makeUnetLikeBatch(
  rng: Rng,
  shape: [number, number, number, number],
  spec: UnetLikeSpec,
): { x: tf.Tensor5D; target: tf.Tensor5D } {
  const [n, d, h, w] = shape;
  const xs: [number, number, number, number, number] = [n, d, h, w, spec.channelsIn];
  const ts: [number, number, number, number, number] = [n, d, h, w, spec.classes];
  return { x: tf.tensor5d(randn(rng, xs, 1), xs), target: tf.tensor5d(randn(rng, ts, 1), ts) };
}

function instanceNorm(x: tf.Tensor5D): tf.Tensor5D {
  const { mean, variance } = tf.moments(x, [1, 2, 3], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

function upsample2(x: tf.Tensor5D, like: tf.Tensor5D): tf.Tensor5D {
  // Nearest ×2 along D, H, W: stack each voxel with its copy, then merge the pair into the axis
  // (tile's gradient stops at rank 4, stack's does not).
  let up: tf.Tensor = x;
  for (const axis of [1, 2, 3]) {
    const shape = [...up.shape];
    shape[axis] = (shape[axis] ?? 1) * 2;
    up = tf.reshape(tf.stack([up, up], axis + 1), shape);
  }
  const [n, ld, lh, lw, c] = like.shape;
  return tf.slice(up as tf.Tensor5D, [0, 0, 0, 0, 0], [n, ld, lh, lw, x.shape[4] ?? c]);
}

/** The scalar loss of one forward pass. */
export function unetLikeLoss(x: tf.Tensor5D, target: tf.Tensor5D, w: UnetLikeWeights): tf.Scalar {
  return tf.tidy(() => {
    const e1 = tf.relu(instanceNorm(tf.conv3d(x, w.w1 as tf.Tensor5D, 1, 'same')));
    const p = tf.maxPool3d(e1, 2, 2, 'same');
    const e2 = tf.relu(instanceNorm(tf.conv3d(p, w.w2 as tf.Tensor5D, 1, 'same')));
    const cat = tf.concat([e1, upsample2(e2, e1)], 4);
    const d1 = tf.relu(tf.conv3d(cat, w.w3 as tf.Tensor5D, 1, 'same'));
    const a = tf.avgPool3d(d1, 3, 1, 'same');
    const y = tf.conv3d(a, w.w4 as tf.Tensor5D, 1, 'valid');
    return tf.mean(tf.square(tf.sub(y, target)));
  });
}

/** Loss and gradients of every weight for one step (the caller disposes them). */
export function unetLikeStep(
  x: tf.Tensor5D,
  target: tf.Tensor5D,
  w: UnetLikeWeights,
): { loss: tf.Scalar; grads: Record<keyof UnetLikeWeights, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(() => unetLikeLoss(x, target, w), [w.w1, w.w2, w.w3, w.w4]);
  return {
    loss: value,
    grads: {
      w1: grads[w.w1.name] as tf.Tensor,
      w2: grads[w.w2.name] as tf.Tensor,
      w3: grads[w.w3.name] as tf.Tensor,
      w4: grads[w.w4.name] as tf.Tensor,
    },
  };
}

/** The same network in PyTorch (NCDHW), for the benchmark; reads {weights, x, target} is not needed. */
export const UNET_LIKE_TORCH = `
import torch, torch.nn.functional as F
def inorm(x):
    m = x.mean(dim=(2,3,4), keepdim=True); v = x.var(dim=(2,3,4), keepdim=True, unbiased=False)
    return (x - m) / torch.sqrt(v + 1e-5)
def unet_like_loss(x, t, w1, w2, w3, w4):
    e1 = F.relu(inorm(F.conv3d(x, w1, padding=1)))
    p = F.max_pool3d(e1, 2, 2, ceil_mode=True)
    e2 = F.relu(inorm(F.conv3d(p, w2, padding=1)))
    up = e2.repeat_interleave(2, 2).repeat_interleave(2, 3).repeat_interleave(2, 4)[:, :, :e1.shape[2], :e1.shape[3], :e1.shape[4]]
    d1 = F.relu(F.conv3d(torch.cat([e1, up], 1), w3, padding=1))
    a = F.avg_pool3d(d1, 3, 1, 1, count_include_pad=False)
    y = F.conv3d(a, w4)
    return ((y - t) ** 2).mean()
`;
