// ModelProto serialisation through the generated ONNX schema (onnx-buf, protoc-gen-es) and @bufbuild/protobuf.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { OnnxGraphError } from '../errors.js';
import type { AttributeValue, InitializerData, KnownShape, OnnxDType } from '../graph-builder.js';

/** Everything the builder collected, in the order it was added. */
export interface ModelParts {
  readonly opset: number;
  readonly irVersion: number;
  readonly graphName: string;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly inputs: Array<{ name: string; dtype: OnnxDType; shape: KnownShape }>;
  readonly initializers: Array<{
    name: string;
    dtype: OnnxDType;
    data: InitializerData;
    shape: readonly number[];
  }>;
  readonly nodes: Array<{
    opType: string;
    name: string;
    domain: string;
    inputs: string[];
    outputs: string[];
    attributes: Record<string, AttributeValue>;
  }>;
  readonly outputs: Array<{ name: string; dtype: OnnxDType; shape: KnownShape | undefined }>;
  readonly metadata: Array<{ key: string; value: string }>;
}

const ELEM_TYPE: Readonly<Record<OnnxDType, TensorProto_DataType>> = {
  float32: TensorProto_DataType.FLOAT,
  float64: TensorProto_DataType.DOUBLE,
  float16: TensorProto_DataType.FLOAT16,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  int16: TensorProto_DataType.INT16,
  int32: TensorProto_DataType.INT32,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/** protobuf's hard limit on one message; larger models need ONNX external data (not written here). */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX `raw_data`: the elements in little-endian byte order. */
function rawBytes(data: InitializerData): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    const w = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return bytes;
}

function tensorProto(
  name: string,
  dtype: OnnxDType,
  data: InitializerData,
  shape: readonly number[],
): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: shape.map((d) => BigInt(d)),
    dataType: ELEM_TYPE[dtype],
    rawData: rawBytes(data),
  });
}

function valueInfo(name: string, dtype: OnnxDType, shape: KnownShape | undefined): ValueInfoProto {
  const tensor = create(TypeProto_TensorSchema, { elemType: ELEM_TYPE[dtype] });
  if (shape !== undefined) {
    tensor.shape = create(TensorShapeProtoSchema, {
      dim: shape.map((d) =>
        create(
          TensorShapeProto_DimensionSchema,
          d === undefined
            ? {}
            : {
                value:
                  typeof d === 'number'
                    ? { case: 'dimValue', value: BigInt(d) }
                    : { case: 'dimParam', value: d },
              },
        ),
      ),
    });
  }
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensor } }),
  });
}

const utf8 = new TextEncoder();

/** The ONNX element type of a typed array, or undefined for an unsupported array. */
export function dtypeOfData(data: unknown): OnnxDType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return undefined;
}

function attributeProto(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'string')
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: utf8.encode(value),
    });
  if (Array.isArray(value)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRINGS,
      strings: (value as readonly string[]).map((s) => utf8.encode(s)),
    });
  }
  const v = value as Exclude<AttributeValue, string | readonly string[]>;
  switch (v.type) {
    case 'int':
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.INT,
        i: BigInt(v.value),
      });
    case 'ints':
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.INTS,
        ints: v.value.map((x) => BigInt(x)),
      });
    case 'float':
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.value });
    case 'floats':
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.FLOATS,
        floats: v.value.slice(),
      });
    case 'tensor':
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.TENSOR,
        t: tensorProto('', dtypeOfData(v.value.data)!, v.value.data, v.value.shape),
      });
  }
}

/** Serialises the collected parts as an ONNX `ModelProto`. */
export function encodeModel(parts: ModelParts): Uint8Array {
  const weightBytes = parts.initializers.reduce((a, t) => a + t.data.byteLength, 0);
  if (weightBytes > MAX_MODEL_BYTES) {
    throw new OnnxGraphError(
      `toBytes: the initializers take ${weightBytes} bytes, expected < 2 GiB (protobuf's limit; ONNX external data is not supported)`,
    );
  }
  const graph = create(GraphProtoSchema, {
    name: parts.graphName,
    input: parts.inputs.map((i) => valueInfo(i.name, i.dtype, i.shape)),
    initializer: parts.initializers.map((t) => tensorProto(t.name, t.dtype, t.data, t.shape)),
    node: parts.nodes.map((n) =>
      create(NodeProtoSchema, {
        opType: n.opType,
        name: n.name,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, v]) => attributeProto(k, v)),
      }),
    ),
    output: parts.outputs.map((o) => valueInfo(o.name, o.dtype, o.shape)),
  });
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(parts.irVersion),
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(parts.opset) })],
    producerName: parts.producerName,
    producerVersion: parts.producerVersion,
    docString: parts.docString,
    graph,
    metadataProps: parts.metadata.map(({ key, value }) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
  });
  return toBinary(ModelProtoSchema, model);
}
