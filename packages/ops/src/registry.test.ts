import * as tf from '@tensorflow/tfjs-core';
import { runPythonReference } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { afterEach, describe, expect, it } from 'vitest';
import { OperatorDefinitionError, OperatorInputError, UnknownOperatorError } from './errors.js';
import { Conv3d } from './modules/conv3d.js';
import { defineOperator, type Shape5, type Stride } from './operator-spec.js';
import { BUILTIN_OPERATORS } from './operators/index.js';
import { buildOperator, getOperator, listOperators, needsSameChannels, operatorCost, registerOperator, unregisterOperator } from './registry.js';

afterEach(() => {
  unregisterOperator('scaled-conv-1x1x1');
});

const scaledConv = defineOperator({
  name: 'scaled-conv-1x1x1',
  summary: 'conv 1×1×1',
  build: ({ channelsIn, channelsOut, stride, rng }) => new Conv3d({ channelsIn, channelsOut, kernel: 1, stride, rng }),
  cost: ({ inputShape: [n, d, h, w], channelsIn, channelsOut, stride }) => {
    const out = n * Math.ceil(d / stride) * Math.ceil(h / stride) * Math.ceil(w / stride) * channelsOut;
    return { params: channelsIn * channelsOut, flops: 2 * out * channelsIn, activationBytes: 4 * out };
  },
});

describe('registry', () => {
  it('lists the built-in operators in their documented order', () => {
    expect(listOperators().map((s) => s.name)).toMatchInlineSnapshot(`
      [
        "zero",
        "identity",
        "conv-3x3x3",
        "conv-3x3x1",
        "p3d-3x3x1",
        "dil-conv-3x3x3",
        "sep-conv-3x3x3",
        "max-pool-3x3x3",
        "avg-pool-3x3x3",
        "tconv-3x3x3",
      ]
    `);
  });

  it('names the closest match and every known name for an unknown operator', () => {
    let error: unknown;
    try {
      getOperator('conv-3x3');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownOperatorError);
    expect((error as UnknownOperatorError).closest).toBe('conv-3x3x3');
    expect((error as Error).message).toMatchInlineSnapshot(`"unknown operator "conv-3x3"; did you mean "conv-3x3x3"? Known operators: zero, identity, conv-3x3x3, conv-3x3x1, p3d-3x3x1, dil-conv-3x3x3, sep-conv-3x3x3, max-pool-3x3x3, avg-pool-3x3x3, tconv-3x3x3"`);
    expect(() => buildOperator('sep-conv3', { channelsIn: 2, channelsOut: 2, rng: new Rng(1) })).toThrow(/did you mean "sep-conv-3x3x3"/);
  });

  it('registers a custom operator, rejects duplicates and malformed specs', () => {
    registerOperator(scaledConv);
    expect(getOperator('scaled-conv-1x1x1')).toBe(scaledConv);
    expect(listOperators().at(-1)).toBe(scaledConv);
    expect(() => registerOperator(scaledConv)).toThrowErrorMatchingInlineSnapshot(`[OperatorDefinitionError: registerOperator: an operator named "scaled-conv-1x1x1" is already registered]`);
    expect(() => registerOperator({ ...BUILTIN_OPERATORS[2]! })).toThrowErrorMatchingInlineSnapshot(`[OperatorDefinitionError: registerOperator: pass the result of defineOperator({ name, summary, build, cost })]`);
    expect(() => defineOperator({ ...scaledConv, name: 'Conv_3' })).toThrowErrorMatchingInlineSnapshot(`[OperatorDefinitionError: defineOperator("Conv_3"): name must be lower-kebab-case like "conv-3x3x3"]`);
    expect(() => defineOperator({ ...scaledConv, name: 'x', strides: [3 as Stride] })).toThrow(OperatorDefinitionError);
    expect(unregisterOperator('scaled-conv-1x1x1')).toBe(true);
    expect(() => getOperator('scaled-conv-1x1x1')).toThrow(UnknownOperatorError);
  });

  it('rejects misuse with errors naming the operator', () => {
    const rng = new Rng(1);
    expect(() => buildOperator('tconv-3x3x3', { channelsIn: 2, channelsOut: 2, stride: 2, rng })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "tconv-3x3x3": unsupported stride 2; supported strides: 1]`);
    expect(() => buildOperator('max-pool-3x3x3', { channelsIn: 2, channelsOut: 4, rng })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "max-pool-3x3x3": needs channelsIn === channelsOut, got 2 → 4]`);
    expect(() => buildOperator('identity', { channelsIn: 2, channelsOut: 4, rng })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "identity": needs channelsIn === channelsOut at stride 1, got 2 → 4]`);
    expect(() => buildOperator('conv-3x3x3', { channelsIn: 2, channelsOut: 4, stride: 2, upsample: 2, rng })).toThrow(OperatorInputError);
    const op = buildOperator('dil-conv-3x3x3', { channelsIn: 2, channelsOut: 4, rng });
    const small = tf.zeros([1, 2, 6, 7, 2]) as tf.Tensor5D;
    const wrongC = tf.zeros([1, 5, 6, 7, 3]) as tf.Tensor5D;
    const rank4 = tf.zeros([5, 6, 7, 2]) as unknown as tf.Tensor5D;
    expect(() => op.apply(small)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "dil-conv-3x3x3": input too small for the kernel: z size 2 < 3 (input [1, 2, 6, 7, 2], minimum [z, y, x] = [3, 3, 3])]`);
    expect(() => op.apply(wrongC)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "dil-conv-3x3x3": expected 2 input channels (last axis of NDHWC), got 3 in shape [1, 5, 6, 7, 3]]`);
    expect(() => op.apply(rank4)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: operator "dil-conv-3x3x3": expected a rank-5 NDHWC tensor [n, z, y, x, c], got shape [5, 6, 7, 2]]`);
    tf.dispose([small, wrongC, rank4]);
    op.dispose();
  });

  it('reports an operator whose module returns the wrong shape', () => {
    const broken = defineOperator({ ...scaledConv, name: 'broken-op', strides: [2], build: ({ channelsIn, channelsOut, rng }) => new Conv3d({ channelsIn, channelsOut, kernel: 1, rng }) });
    const op = buildOperator(broken, { channelsIn: 2, channelsOut: 2, stride: 2, rng: new Rng(1) });
    const x = tf.zeros([1, 5, 6, 7, 2]) as tf.Tensor5D;
    expect(() => op.apply(x)).toThrowErrorMatchingInlineSnapshot(`[OperatorDefinitionError: operator "broken-op": returned shape [1, 5, 6, 7, 2], expected [1, 3, 3, 4, 2]]`);
    x.dispose();
    op.dispose();
  });
});

/**
 * Independent count: PyTorch modules equivalent to each built-in operator, parameters counted by
 * torch and FLOPs/activation bytes by forward hooks on the leaf modules, from the shapes torch
 * produces (rules: conv 2·out·cIn/groups·taps, transposed conv 2·in·cOut·taps, ReLU 1/elem,
 * InstanceNorm 5/elem, pooling 27/out, trilinear ×2 upsampling 3·(2+4+8)·in, 4 bytes per leaf output).
 */
const COUNT_SCRIPT = String.raw`
import json, sys, torch
import torch.nn as nn

class Shift(nn.Module):
    def forward(self, x):
        return nn.functional.pad(x[:, :, 1:, 1:, 1:], (0, 1, 0, 1, 0, 1))
class Zero(nn.Module):
    def __init__(self, s, up, cout):
        super().__init__(); self.s, self.up, self.cout = s, up, cout
    def forward(self, x):
        n, c, d, h, w = x.shape
        f = lambda v: -(-v // self.s) * self.up
        return x.new_zeros(n, self.cout, f(d), f(h), f(w))
class FR(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        half = cout // 2
        self.relu, self.shift = nn.ReLU(), Shift()
        self.a = nn.Conv3d(cin, half, 1, stride=2, bias=False) if half > 0 else None
        self.b = nn.Conv3d(cin, cout - half, 1, stride=2, bias=False)
        self.norm = nn.InstanceNorm3d(cout)
    def forward(self, x):
        r = self.relu(x)
        parts = ([self.a(r)] if self.a is not None else []) + [self.b(self.shift(r))]
        return self.norm(torch.cat(parts, 1))

def block(cin, cout, convs):
    return nn.Sequential(nn.ReLU(), *convs, nn.InstanceNorm3d(cout))

def build(name, cin, cout, s, up):
    if name == 'zero': return Zero(s, up, cout)
    if name == 'identity':
        if s == 2: return FR(cin, cout)
        return nn.Upsample(scale_factor=2, mode='trilinear') if up == 2 else nn.Identity()
    if name == 'tconv-3x3x3':
        return block(cin, cout, [nn.ConvTranspose3d(cin, cout, 3, stride=up, padding=1, output_padding=up - 1, bias=False)])
    if name == 'conv-3x3x3': m = block(cin, cout, [nn.Conv3d(cin, cout, 3, stride=s, padding=1, bias=False)])
    elif name == 'conv-3x3x1': m = block(cin, cout, [nn.Conv3d(cin, cout, (1, 3, 3), stride=s, padding=(0, 1, 1), bias=False)])
    elif name == 'p3d-3x3x1': m = block(cin, cout, [nn.Conv3d(cin, cout, (1, 3, 3), stride=(1, s, s), padding=(0, 1, 1), bias=False),
                                                   nn.Conv3d(cout, cout, (3, 1, 1), stride=(s, 1, 1), padding=(1, 0, 0), bias=False)])
    elif name == 'dil-conv-3x3x3': m = block(cin, cout, [nn.Conv3d(cin, cout, 3, stride=s, padding=2, dilation=2, bias=False)])
    elif name == 'sep-conv-3x3x3': m = block(cin, cout, [nn.Conv3d(cin, cin, 3, stride=s, padding=1, groups=cin, bias=False),
                                                        nn.Conv3d(cin, cout, 1, bias=False)])
    elif name == 'max-pool-3x3x3': m = nn.MaxPool3d(3, stride=s, padding=1)
    elif name == 'avg-pool-3x3x3': m = nn.AvgPool3d(3, stride=s, padding=1, count_include_pad=False)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode='trilinear'), m) if up == 2 else m

def count(case):
    n, d, h, w, cin = case['inputShape']
    m = build(case['name'], cin, case['channelsOut'], case['stride'], case['upsample'])
    stats = {'flops': 0, 'bytes': 0}
    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.ConvTranspose3d):
            f = 2 * x.numel() * mod.out_channels * mod.kernel_size[0] * mod.kernel_size[1] * mod.kernel_size[2]
        elif isinstance(mod, nn.Conv3d):
            k = mod.kernel_size
            f = 2 * out.numel() * (mod.in_channels // mod.groups) * k[0] * k[1] * k[2]
        elif isinstance(mod, nn.ReLU): f = out.numel()
        elif isinstance(mod, nn.InstanceNorm3d): f = 5 * out.numel()
        elif isinstance(mod, (nn.MaxPool3d, nn.AvgPool3d)): f = 27 * out.numel()
        elif isinstance(mod, nn.Upsample): f = 3 * 14 * x.numel()
        else: f = 0
        stats['flops'] += f
        stats['bytes'] += 4 * (14 * x.numel() if isinstance(mod, nn.Upsample) else out.numel())
    leaves = [mod for mod in m.modules() if len(list(mod.children())) == 0 and not isinstance(mod, nn.Identity)]
    for mod in leaves: mod.register_forward_hook(hook)
    with torch.no_grad():
        out = m(torch.randn(n, cin, d, h, w))
    return {'params': sum(p.numel() for p in m.parameters()), 'flops': stats['flops'], 'activationBytes': stats['bytes'],
            'outShape': [out.shape[0], out.shape[2], out.shape[3], out.shape[4], out.shape[1]]}

print(json.dumps([count(c) for c in json.load(sys.stdin)]))
`;

describe('cost models', () => {
  it('equal the counted parameters and an independent PyTorch hook count for every built-in operator', () => {
    const shapes: Shape5[] = [
      [1, 5, 6, 7, 4],
      [2, 8, 9, 11, 3],
    ];
    const cases = BUILTIN_OPERATORS.flatMap((spec) =>
      shapes.flatMap((inputShape) =>
        ([[1, 1], [2, 1], [1, 2]] as const)
          .filter(([s]) => spec.strides.includes(s))
          .map(([stride, upsample]) => ({
            name: spec.name,
            inputShape,
            stride,
            upsample,
            channelsOut: needsSameChannels(spec, stride) ? inputShape[4] : 6,
          })),
      ),
    );
    const refs = runPythonReference<Array<{ params: number; flops: number; activationBytes: number; outShape: number[] }>>(COUNT_SCRIPT, cases);
    cases.forEach((c, i) => {
      const cost = operatorCost(c.name, c);
      const op = buildOperator(c.name, { ...c, channelsIn: c.inputShape[4], rng: new Rng(1) });
      const label = `${c.name} ${JSON.stringify(c.inputShape)} stride=${c.stride} upsample=${c.upsample}`;
      expect({ label, params: op.parameterCount() }).toEqual({ label, params: refs[i]!.params });
      expect({ label, ...cost }).toEqual({ label, params: refs[i]!.params, flops: refs[i]!.flops, activationBytes: refs[i]!.activationBytes });
      const f = (v: number) => Math.ceil(v / c.stride) * c.upsample;
      expect(refs[i]!.outShape).toEqual([c.inputShape[0], f(c.inputShape[1]), f(c.inputShape[2]), f(c.inputShape[3]), c.channelsOut]);
      op.dispose();
    });
  });
});
