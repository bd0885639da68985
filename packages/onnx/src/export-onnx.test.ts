// exportOnnx on real voxnas networks, run by ONNX Runtime (onnxruntime-node) at two input sizes each and
// compared with tfjs: every built-in operator (stride 1, stride 2, expansion), U-Nets, searched children,
// custom operators (built from ops modules, with their own mapping, without one).
import type * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import {
  BUILTIN_OPERATORS,
  Conv3d,
  Module,
  ReLU,
  Sequential,
  buildOperator,
  defineOperator,
  type OnnxEmitContext,
} from '@voxnas/ops';
import { ChildNetwork, createSearchSpace, validateGenotype, type Genotype } from '@voxnas/supernet';
import { UNet } from '@voxnas/unet';
import * as tfc from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxExportError } from './errors.js';
import { exportOnnx } from './export-onnx.js';
import { compareExport, reportAgreements } from '../test/ort.js';
import { readOnnxMetadata } from './read-metadata.js';

afterAll(() => reportAgreements('export-onnx.test.ts'));

const CASES = BUILTIN_OPERATORS.flatMap((spec) => [
  ...spec.strides.map((stride) => ({ op: spec.name, stride, upsample: 1 as const })),
  { op: spec.name, stride: 1 as const, upsample: 2 as const },
]);

describe('exportOnnx: every built-in operator', () => {
  it('covers stride 1, stride 2 and expansion of all ten built-ins', () => {
    expect(new Set(CASES.map((c) => c.op)).size).toBe(10);
    expect(CASES.length).toBe(29); // tconv-3x3x3 has no stride 2
  });

  it.each(CASES)('$op stride=$stride upsample=$upsample', async ({ op, stride, upsample }) => {
    const channelsOut = op.includes('pool') || (op === 'identity' && stride === 1) ? 4 : 6;
    const m = buildOperator(op, { channelsIn: 4, channelsOut, stride, upsample, rng: new Rng(`export ${op}`) });
    try {
      // transposed convolutions both as ConvTranspose and as zero insertion + Conv
      const lowering = op === 'tconv-3x3x3' ? (['conv-transpose', 'conv'] as const) : (['conv-transpose'] as const);
      for (const convTranspose of lowering) {
      const bytes = exportOnnx(m, { inputChannels: 4, outputChannels: channelsOut, convTranspose });
      await compareExport({
        title: `operator ${op} stride=${stride} upsample=${upsample} ${convTranspose}`,
        bytes,
        apply: (x) => m.apply(x),
        inputs: [
          [2, 4, 5, 6, 7],
          [1, 4, 6, 3, 4],
        ],
        constant: op === 'zero',
      });
      }
    } finally {
      m.dispose();
    }
  });
});

describe('exportOnnx: whole networks', () => {
  it.each([
    { title: 'instance norm, transposed up', options: { levels: 3, baseChannels: 4, inputChannels: 2, classes: 3 } },
    { title: 'transposed up lowered to Conv', options: { levels: 3, baseChannels: 4, inputChannels: 2, classes: 3 }, convTranspose: 'conv' as const },
    {
      title: 'group norm, trilinear up, 4 levels',
      options: { levels: 4, baseChannels: 4, norm: 'group' as const, groups: 2, upsampling: 'trilinear' as const, classes: 2 },
    },
    { title: 'batch norm (eval), 2 convs', options: { levels: 2, baseChannels: 3, norm: 'batch' as const, classes: 2 } },
  ] as Array<{ title: string; options: Omit<ConstructorParameters<typeof UNet>[0], 'rng'>; convTranspose?: 'conv' }>)('U-Net $title at two sizes', async ({ title, options, convTranspose }) => {
    const net = new UNet({ ...options, rng: new Rng(`unet ${title}`) });
    net.eval();
    try {
      const c = net.config.inputChannels;
      const m = net.spatialMultiple;
      await compareExport({
        title: `U-Net ${title}`,
        bytes: exportOnnx(net, convTranspose ? { convTranspose } : {}),
        apply: (x) => net.apply(x),
        inputs: [
          [1, c, 2 * m, m, 3 * m],
          [2, c, m, 2 * m, 2 * m],
        ],
      });
    } finally {
      net.dispose();
    }
  });

  it('a searched child using every built-in operator (and an empty node) at two sizes', async () => {
    const all = BUILTIN_OPERATORS.map((s) => s.name);
    const space = createSearchSpace({
      levels: 3,
      baseChannels: 4,
      nodes: 2,
      inputChannels: 1,
      classes: 3,
      candidates: { 'encoder-normal': all, reduction: all.filter((o) => o !== 'tconv-3x3x3'), 'decoder-normal': all, expansion: all },
    });
    const cycle: Record<string, readonly string[]> = {
      'encoder-normal': ['zero', 'zero', 'conv-3x3x3', 'sep-conv-3x3x3', 'max-pool-3x3x3'], // n0 gets no edge
      reduction: ['identity', 'dil-conv-3x3x3', 'p3d-3x3x1', 'avg-pool-3x3x3', 'conv-3x3x1'],
      'decoder-normal': ['identity', 'tconv-3x3x3', 'avg-pool-3x3x3', 'zero', 'dil-conv-3x3x3'],
      expansion: ['tconv-3x3x3', 'identity', 'sep-conv-3x3x3', 'max-pool-3x3x3', 'conv-3x3x3'],
    };
    const seen = new Map<string, number>();
    const choices: Record<string, string> = {};
    for (const e of space.edges) {
      const k = seen.get(e.cell) ?? 0;
      seen.set(e.cell, k + 1);
      choices[e.label] = cycle[e.cell]![k % cycle[e.cell]!.length]!;
    }
    const genotype: Genotype = validateGenotype({ schema: 'voxnas/genotype@1', macro: space.macro, choices }, { space });
    expect(new Set(Object.values(genotype.choices)).size).toBe(10);
    const child = new ChildNetwork(genotype, new Rng('child'));
    child.eval();
    try {
      await compareExport({
        title: 'searched child',
        bytes: exportOnnx(child, { metadata: { 'voxnas.labels': '{"0":"background","1":"a","2":"b"}' } }),
        apply: (x) => child.apply(x),
        inputs: [
          [1, 1, 12, 12, 16],
          [1, 1, 16, 12, 12],
        ],
      });
    } finally {
      child.dispose();
    }
  });
});

describe('exportOnnx: custom operators and modules', () => {
  class Doubler extends Module<tf.Tensor5D, tf.Tensor5D> {
    forward(x: tf.Tensor5D): tf.Tensor5D {
      return tfc.mul(x, 2);
    }
  }
  const cost = () => ({ params: 0, flops: 0, activationBytes: 0 });

  it('an operator assembled from @voxnas/ops modules exports as it is', async () => {
    const spec = defineOperator({
      name: 'pointwise-test',
      summary: 'ReLU → conv 1×1×1',
      build: ({ channelsIn, channelsOut, stride, rng }) =>
        new Sequential({ relu: new ReLU(), conv: new Conv3d({ channelsIn, channelsOut, kernel: 1, stride, bias: true, rng }) }),
      cost,
    });
    const m = buildOperator(spec, { channelsIn: 3, channelsOut: 5, stride: 2, rng: new Rng('pw') });
    try {
      await compareExport({ title: 'custom pointwise', bytes: exportOnnx(m, { inputChannels: 3 }), apply: (x) => m.apply(x), inputs: [[1, 3, 5, 4, 7]] });
    } finally {
      m.dispose();
    }
  });

  it('an operator whose module has no emitOnnx gives OnnxExportError naming it; its spec can map it', async () => {
    const bare = defineOperator({ name: 'doubler-test', summary: 'x·2', build: () => new Doubler(), cost });
    const m = buildOperator(bare, { channelsIn: 2, channelsOut: 2, rng: new Rng(1) });
    expect(() => exportOnnx(m, { inputChannels: 2 })).toThrow(OnnxExportError);
    expect(() => exportOnnx(m, { inputChannels: 2 })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxExportError: exportOnnx: module "op" (Doubler) of operator "doubler-test" has no ONNX mapping: it has no emitOnnx(); give the operator's spec an onnx(ctx, input, module) mapping in defineOperator, or its module an emitOnnx(ctx, input) method]`,
    );
    const mapped = defineOperator({
      name: 'doubler-mapped-test',
      summary: 'x·2',
      build: () => new Doubler(),
      cost,
      onnx: (ctx: OnnxEmitContext, x: string) => ctx.add([x, x], { name: 'twice' }),
    });
    const m2 = buildOperator(mapped, { channelsIn: 2, channelsOut: 2, upsample: 2, rng: new Rng(1) });
    await compareExport({ title: 'custom mapped', bytes: exportOnnx(m2, { inputChannels: 2 }), apply: (x) => m2.apply(x), inputs: [[1, 2, 3, 4, 5]] });
  });

  it('a subclass that changes forward without its own emitOnnx is refused', () => {
    class Shifted extends Conv3d {
      override forward(x: tf.Tensor5D): tf.Tensor5D {
        return tfc.add(super.forward(x), 1);
      }
    }
    const net = new Sequential({ relu: new ReLU(), conv: new Shifted({ channelsIn: 1, channelsOut: 1, kernel: 1, rng: new Rng(1) }) });
    try {
      expect(() => exportOnnx(net, { inputChannels: 1 })).toThrowErrorMatchingInlineSnapshot(
        `[OnnxExportError: exportOnnx: module "conv" (Shifted) has no ONNX mapping: its class overrides forward() without its own emitOnnx(); give the module an emitOnnx(ctx, input) method]`,
      );
    } finally {
      net.dispose();
    }
  });

  it('a module without input channels to infer needs options.inputChannels', () => {
    const net = new Sequential({ relu: new ReLU() });
    expect(() => exportOnnx(net)).toThrowErrorMatchingInlineSnapshot(
      `[OnnxExportError: exportOnnx(Sequential): inputChannels is undefined, expected a positive integer (give options.inputChannels for a module that is not a U-Net or child network)]`,
    );
  });
});

describe('model metadata', () => {
  it('metadata_props round-trip through readOnnxMetadata; a non-ONNX file is an OnnxGraphError', () => {
    const net = new UNet({ levels: 2, baseChannels: 2, rng: new Rng(3) });
    try {
      const meta = readOnnxMetadata(exportOnnx(net, { metadata: { 'voxnas.orientation': 'RAS', 'voxnas.labels': '{"0":"bg"}' } }));
      expect(meta).toEqual({ 'voxnas.layout': 'NCDHW', 'voxnas.orientation': 'RAS', 'voxnas.labels': '{"0":"bg"}' });
    } finally {
      net.dispose();
    }
    expect(() => readOnnxMetadata(new TextEncoder().encode('not an onnx model at all'))).toThrow(/not an ONNX model|no ONNX model/);
  });
});
