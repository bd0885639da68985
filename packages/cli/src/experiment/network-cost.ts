import { genotypeCost, validateGenotype } from '@voxnas/supernet';
import type { NetworkSpec } from '../pipeline/network.js';

/** Parameters and FLOPs of a network for one input patch. */
export interface NetworkCost {
  readonly params: number;
  readonly flops: number;
}

type UNetSpec = Extract<NetworkSpec, { kind: 'unet' }>['options'];

/**
 * Parameters and forward FLOPs of a voxnas U-Net (`@voxnas/unet`'s architecture) on an input of
 * `inputShape` (NDHWC), counted the way the operators' cost models count (`@voxnas/ops`): a
 * convolution 2 FLOPs per multiply-add, a norm 5 and a ReLU 1 per element, max-pooling 8 per output
 * element. Parameters equal the built network's trainable variables (checked by a test).
 *
 * @example
 * unetCost({ levels: 3, baseChannels: 8, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed', inputChannels: 1, classes: 2 }, [1, 16, 16, 16, 1]);
 */
export function unetCost(o: UNetSpec, inputShape: readonly [number, number, number, number, number]): NetworkCost {
  const levels = o.levels ?? 4;
  const base = o.baseChannels ?? 32;
  const convs = o.convsPerLevel ?? 2;
  const norm = o.norm ?? 'instance';
  const cin0 = o.inputChannels ?? 1;
  const classes = o.classes ?? 2;
  const ch = (l: number) => base * 2 ** l;
  const [n, d, h, w] = inputShape;
  const voxels = (l: number) => n * Math.ceil(d / 2 ** l) * Math.ceil(h / 2 ** l) * Math.ceil(w / 2 ** l);
  let params = 0;
  let flops = 0;
  const conv = (l: number, k: number, cin: number, cout: number, bias: boolean) => {
    params += k * cin * cout + (bias ? cout : 0);
    flops += 2 * voxels(l) * k * cin * cout;
  };
  const block = (l: number, cin: number, cout: number) => {
    for (let i = 0; i < convs; i++) {
      conv(l, 27, i === 0 ? cin : cout, cout, norm === 'none');
      if (norm !== 'none') {
        params += 2 * cout; // affine scale and shift
        flops += 5 * voxels(l) * cout;
      }
      flops += voxels(l) * cout;
    }
  };
  for (let l = 0; l < levels; l++) {
    block(l, l === 0 ? cin0 : ch(l - 1), ch(l));
    if (l < levels - 1) flops += 8 * voxels(l + 1) * ch(l);
  }
  for (let l = levels - 2; l >= 0; l--) {
    if (o.upsampling === 'trilinear') {
      flops += 3 * 14 * voxels(l + 1) * ch(l + 1);
      conv(l, 1, ch(l + 1), ch(l), false);
    } else {
      params += 8 * ch(l + 1) * ch(l);
      flops += 2 * voxels(l) * ch(l + 1) * ch(l);
    }
    block(l, 2 * ch(l), ch(l));
  }
  conv(0, 1, ch(0), classes, true);
  return { params, flops };
}

/**
 * Parameters and FLOPs of the network a train run built (its `network.json`) for one patch of
 * `patchSize` (x, y, z).
 *
 * @example
 * networkCost(JSON.parse(readFileSync('run/network.json', 'utf8')), [32, 32, 16]);
 */
export function networkCost(spec: NetworkSpec, patchSize: readonly [number, number, number]): NetworkCost {
  const [px, py, pz] = patchSize;
  if (spec.kind === 'unet') return unetCost(spec.options, [1, pz, py, px, spec.options.inputChannels ?? 1]);
  const g = validateGenotype(spec.genotype, { source: 'network.json' });
  const c = genotypeCost(g, { inputShape: [1, pz, py, px, g.macro.inputChannels] });
  return { params: c.params, flops: c.flops };
}
