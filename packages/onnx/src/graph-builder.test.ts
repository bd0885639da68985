import { fromBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { OnnxGraphError } from './errors.js';
import { attr, createGraphBuilder, type GraphBuilder } from './graph-builder.js';
import { runOnnx } from '../test/ort.js';

/** The declared dims of a tensor value: numbers as bigint, symbols as strings, unknown as undefined. */
function dimsOf(v: ValueInfoProto | undefined): unknown[] {
  const t = v?.type?.value;
  if (t?.case !== 'tensorType') throw new Error('not a tensor type');
  return t.value.shape!.dim.map((d) => d.value.value);
}

function reluModel(options?: Parameters<typeof createGraphBuilder>[0]): GraphBuilder {
  const b = createGraphBuilder(options);
  const x = b.input('x', { dtype: 'float32', shape: ['N', 2, 'D', 'H', 'W'] });
  const [y] = b.node('Relu', { inputs: [x] });
  b.output(y!, { dtype: 'float32', shape: ['N', 2, 'D', 'H', 'W'] });
  return b;
}

describe('createGraphBuilder: the written ModelProto', () => {
  it.each([
    [17, 8],
    [18, 8],
    [19, 9],
    [20, 9],
    [21, 10],
  ])(
    'opset %i writes ir_version %i and one default-domain opset_import, and ONNX Runtime runs it',
    async (opset, ir) => {
      const b = reluModel({ opset, producerVersion: '0.0.0' });
      b.metadata('voxnas.layout', 'NCDHW');
      const bytes = b.toBytes();
      const model = fromBinary(ModelProtoSchema, bytes);
      expect(model.irVersion).toBe(BigInt(ir));
      expect(model.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', BigInt(opset)]]);
      expect([model.producerName, model.producerVersion, model.graph?.name]).toEqual([
        'voxnas',
        '0.0.0',
        'voxnas',
      ]);
      expect(model.metadataProps.map((m) => [m.key, m.value])).toEqual([['voxnas.layout', 'NCDHW']]);
      const dims = dimsOf(model.graph!.input[0]);
      expect(dims).toEqual(['N', 2n, 'D', 'H', 'W']);
      const out = await runOnnx(bytes, {
        x: { data: Float32Array.from([-1, 2, -3, 4]), shape: [1, 2, 1, 1, 2] },
      });
      expect(Array.from(out.relu!.data)).toEqual([0, 2, 0, 4]);
    },
  );

  it('writes every attribute kind and initializer dtype (decoded back)', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: [1] });
    b.initializer('f32', { data: Float32Array.from([1.5, -2]), shape: [2] });
    b.initializer('i64', { data: BigInt64Array.from([-1n, 2n ** 40n]), shape: [2, 1] });
    b.initializer('i32', { data: Int32Array.from([7]), shape: [] });
    b.initializer('u8', { data: Uint8Array.from([1, 2, 3]), shape: [3] });
    const [y] = b.node('Custom', {
      inputs: [x, '', 'f32'],
      domain: 'voxnas.test',
      name: 'custom',
      attributes: {
        i: attr.int(-3),
        is: attr.ints([1, 2]),
        f: attr.float(0.25),
        fs: attr.floats([0.5, 1]),
        s: 'linear',
        ss: ['a', 'b'],
        t: attr.tensor({ data: Float32Array.from([3]), shape: [1] }),
      },
    });
    b.output(y!, { dtype: 'float32', shape: [undefined] });
    const model = fromBinary(ModelProtoSchema, b.toBytes());
    const node = model.graph!.node[0]!;
    expect([node.opType, node.domain, node.name, node.input, node.output]).toEqual([
      'Custom',
      'voxnas.test',
      'custom',
      ['x', '', 'f32'],
      ['custom'],
    ]);
    const a = Object.fromEntries(node.attribute.map((p) => [p.name, p]));
    expect([a.i!.type, a.i!.i]).toEqual([AttributeProto_AttributeType.INT, -3n]);
    expect([a.is!.type, a.is!.ints]).toEqual([AttributeProto_AttributeType.INTS, [1n, 2n]]);
    expect([a.f!.type, a.f!.f]).toEqual([AttributeProto_AttributeType.FLOAT, 0.25]);
    expect([a.fs!.type, a.fs!.floats]).toEqual([AttributeProto_AttributeType.FLOATS, [0.5, 1]]);
    expect([a.s!.type, new TextDecoder().decode(a.s!.s)]).toEqual([
      AttributeProto_AttributeType.STRING,
      'linear',
    ]);
    expect(a.ss!.strings.map((s) => new TextDecoder().decode(s))).toEqual(['a', 'b']);
    expect(new Float32Array(a.t!.t!.rawData.slice().buffer)).toEqual(Float32Array.from([3]));
    const inits = Object.fromEntries(model.graph!.initializer.map((t) => [t.name, t]));
    expect([inits.f32!.dataType, inits.f32!.dims]).toEqual([TensorProto_DataType.FLOAT, [2n]]);
    expect(new Float32Array(inits.f32!.rawData.slice().buffer)).toEqual(Float32Array.from([1.5, -2]));
    expect(new BigInt64Array(inits.i64!.rawData.slice().buffer)).toEqual(
      BigInt64Array.from([-1n, 2n ** 40n]),
    );
    expect([inits.i32!.dataType, inits.i32!.dims]).toEqual([TensorProto_DataType.INT32, []]);
    expect([inits.u8!.dataType, Array.from(inits.u8!.rawData)]).toEqual([
      TensorProto_DataType.UINT8,
      [1, 2, 3],
    ]);
    expect(dimsOf(model.graph!.output[0])).toEqual([undefined]);
  });

  it('generates unique value and node names and tracks value info', () => {
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect([b.uniqueName('w'), b.uniqueName('w'), b.uniqueName('x')]).toEqual(['w', 'w_1', 'x_1']);
    const [a] = b.node('Relu', { inputs: [x] });
    const [c] = b.node('Relu', { inputs: [a!] });
    const outs = b.node('Split', {
      inputs: [c!],
      outputs: 3,
      name: 'parts',
      attributes: { axis: attr.int(1) },
    });
    expect([a, c, outs]).toEqual(['relu', 'relu_1', ['parts:0', 'parts:1', 'parts:2']]);
    expect(b.valueInfo(x)).toEqual({ dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect(b.valueInfo(a!)).toEqual({ dtype: undefined, shape: undefined });
    b.setValueInfo(a!, { dtype: 'float32', shape: ['N', 3, 'D', 'H', 'W'] });
    expect([b.has(a!), b.has('nope'), b.valueInfo('nope')]).toEqual([true, false, undefined]);
    b.output(a!); // dtype and shape from setValueInfo
    const model = fromBinary(ModelProtoSchema, b.toBytes());
    expect(model.graph!.node.map((n) => n.name)).toEqual(['relu', 'relu_1', 'parts']);
    expect(dimsOf(model.graph!.output[0])).toEqual(['N', 3n, 'D', 'H', 'W']);
  });
});

describe('createGraphBuilder: validation', () => {
  function caught(f: () => unknown): unknown {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  }

  it('throws OnnxGraphError (E_ONNX_GRAPH) naming the call and the value', () => {
    const e = caught(() => createGraphBuilder({ opset: 16 }));
    expect(e).toBeInstanceOf(OnnxGraphError);
    expect((e as OnnxGraphError).code).toBe('E_ONNX_GRAPH');
    expect((e as Error).message).toMatchInlineSnapshot(
      `"createGraphBuilder: opset is 16, expected an integer in [17, 21] (ONNX Runtime reads opset 17 from version 1.13 on)"`,
    );
    const b = createGraphBuilder();
    const x = b.input('x', { dtype: 'float32', shape: ['N', 1, 'D', 'H', 'W'] });
    expect(() => b.input('x', { dtype: 'float32', shape: [1] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: input("x"): value "x" is already defined, expected a new name (b.uniqueName("x") gives one)]`,
    );
    expect(() => b.input('y', { dtype: 'float8' as never, shape: [1] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: input("y"): dtype is "float8", expected one of float32, float64, float16, int8, uint8, int16, int32, int64, bool]`,
    );
    expect(() => b.input('y', { dtype: 'float32', shape: [1, -2] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: input("y"): dimension 1 of shape [1, -2] is -2, expected an integer ≥ 0 or a symbolic name like 'N' or 'D' (letters, digits, _)]`,
    );
    expect(() =>
      b.input('y', { dtype: 'float32', shape: ['N', 'depth z'] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: input("y"): dimension 1 of shape ["N", "depth z"] is "depth z", expected an integer ≥ 0 or a symbolic name like 'N' or 'D' (letters, digits, _)]`,
    );
    expect(() =>
      b.initializer('w', { data: new Float32Array(5), shape: [2, 3] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: initializer("w"): data has 5 elements, shape [2, 3] needs 6]`,
    );
    expect(() =>
      b.initializer('w', { data: Float32Array.from([1, Number.NaN]), shape: [2] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: initializer("w"): element 1 is NaN, expected finite values]`,
    );
    expect(() =>
      b.initializer('w', { data: [1, 2] as never, shape: [2] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: initializer("w"): data is [1, 2], expected a Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Int32Array or BigInt64Array]`,
    );
    expect(() => b.node('Relu', { inputs: ['nope'] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: node("Relu"): input 0 "nope" is not defined yet, expected a graph input, an initializer or an earlier node's output]`,
    );
    expect(() =>
      b.node('Conv', { inputs: [x], attributes: { group: 1 as never } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: node("Conv"): attribute group is 1, expected a typed number: attr.int(1) or attr.float(1)]`,
    );
    expect(() =>
      b.node('Conv', { inputs: [x], attributes: { strides: attr.ints([1.5]) } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: node("Conv"): attribute strides is { type: "ints", value: [1.5] }, expected attr.ints of safe integers]`,
    );
    expect(() => b.node('Relu', { inputs: [x], outputs: ['x'] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: node("Relu"): output "x" is already defined, expected a new name (b.uniqueName("x") gives one)]`,
    );
    expect(() => b.node('my op', { inputs: [x] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: node("my op"): op type must be an identifier like 'Conv', got "my op"]`,
    );
    expect(() => b.output('nope')).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: output("nope"): "nope" is not defined, expected a graph input, initializer or node output]`,
    );
    const [y] = b.node('Relu', { inputs: [x] });
    expect(() => b.output(y!)).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: output("relu"): the element type of "relu" is not known, expected { dtype } (e.g. 'float32')]`,
    );
    expect(() => b.output(x, { shape: ['N', 2, 'D', 'H', 'W'] })).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: output("x"): declared shape ["N", 2, "D", "H", "W"] contradicts the known shape ["N", 1, "D", "H", "W"]]`,
    );
    expect(() => b.toBytes()).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: toBytes: the graph has no output, expected at least one b.output(name) call]`,
    );
    b.metadata('k', 'v');
    expect(() => b.metadata('k', 'w')).toThrowErrorMatchingInlineSnapshot(
      `[OnnxGraphError: metadata("k"): key "k" is already set]`,
    );
  });
});
