import { OnnxGraphError } from './errors.js';
import { dtypeOfData, encodeModel, type ModelParts } from './internal/encode-model.js';

/** Element types a graph value or initializer can have (ONNX `TensorProto.DataType`, by typed-array name). */
export type OnnxDType =
  'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/** One dimension of a declared shape: a fixed size (integer ≥ 0) or a symbolic name such as `'N'`, `'D'`. */
export type Dim = number | string;

/** A shape as known to the builder: `undefined` marks a dimension whose size is not known statically. */
export type KnownShape = ReadonlyArray<Dim | undefined>;

/** Typed arrays accepted as initializer data; the ONNX element type follows from the array type. */
export type InitializerData =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

/** A constant tensor: row-major `data` (last axis fastest) and its `shape`. */
export interface InitializerSpec {
  readonly data: InitializerData;
  readonly shape: readonly number[];
}

/**
 * An attribute value. Strings and string lists are written as they are; numbers must say whether they
 * are ONNX ints or floats (ONNX Runtime rejects an `epsilon` sent as an int), so they go through
 * {@link attr}: `attr.int(2)`, `attr.floats([1, 1, 2, 2, 2])`.
 */
export type AttributeValue =
  | string
  | readonly string[]
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'tensor'; readonly value: InitializerSpec };

/**
 * Typed attribute values for {@link GraphBuilder.node}.
 *
 * @example
 * b.node('Conv', { inputs: [x, w], attributes: { strides: attr.ints([2, 2, 2]), group: attr.int(1) } });
 */
export const attr = Object.freeze({
  int: (value: number) => ({ type: 'int', value }) as const,
  ints: (value: readonly number[]) => ({ type: 'ints', value }) as const,
  float: (value: number) => ({ type: 'float', value }) as const,
  floats: (value: readonly number[]) => ({ type: 'floats', value }) as const,
  tensor: (value: InitializerSpec) => ({ type: 'tensor', value }) as const,
});

/** Options of {@link createGraphBuilder}. */
export interface GraphBuilderOptions {
  /** Default ONNX opset (domain `''`), 17–21. Default 17. The IR version follows from it (8 for 17–18, 9 for 19–20, 10 for 21). */
  readonly opset?: number;
  /** `graph.name`. Default `'voxnas'`. */
  readonly graphName?: string;
  /** `producer_name`. Default `'voxnas'`. */
  readonly producerName?: string;
  /** `producer_version`. Default `''`. */
  readonly producerVersion?: string;
  /** `model.doc_string`. */
  readonly docString?: string;
}

/** What the builder knows about a value: its element type and (partly) static shape, when known. */
export interface ValueInfo {
  readonly dtype: OnnxDType | undefined;
  readonly shape: KnownShape | undefined;
}

/** One node: its inputs (`''` for an absent optional input), outputs and attributes. */
export interface NodeSpec {
  readonly inputs: readonly string[];
  /** Output names, or how many outputs to name (default 1), generated from `name` or the op type. */
  readonly outputs?: readonly string[] | number;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** Node name prefix (made unique). Default: the op type in lower case. */
  readonly name?: string;
  /** Operator domain. Default `''` (the ONNX standard domain). */
  readonly domain?: string;
}

/** A graph input or output declaration. */
export interface ValueDeclaration {
  readonly dtype: OnnxDType;
  /** Dimensions: integers, symbolic names (`'N'`, `'D'`), or `undefined` for an anonymous unknown size. */
  readonly shape: KnownShape;
}

/**
 * Builds one ONNX graph in topological order (a node may only use names defined before it) and writes
 * it as a serialised `ModelProto`. Every call validates its arguments and throws
 * {@link OnnxGraphError} naming the call and the value.
 */
export interface GraphBuilder {
  /** The default-domain opset the model imports. */
  readonly opset: number;
  /** The `ir_version` written. */
  readonly irVersion: number;
  /**
   * Declares a graph input. Returns `name`.
   *
   * @example
   * const x = b.input('input', { dtype: 'float32', shape: ['N', 1, 'D', 'H', 'W'] });
   */
  input(name: string, declaration: ValueDeclaration): string;
  /**
   * Adds a constant tensor. Returns `name`. Float data must be finite.
   *
   * @example
   * const w = b.initializer('conv/weight', { data: new Float32Array(8 * 1 * 27), shape: [8, 1, 3, 3, 3] });
   */
  initializer(name: string, spec: InitializerSpec): string;
  /**
   * Appends a node and returns its output names.
   *
   * @example
   * const [y] = b.node('Relu', { inputs: [x] });
   */
  node(opType: string, spec: NodeSpec): string[];
  /**
   * Declares a defined value as a graph output; `dtype` and `shape` default to what the builder knows.
   *
   * @example
   * b.output(logits, { dtype: 'float32', shape: ['N', 2, 'D', 'H', 'W'] });
   */
  output(name: string, declaration?: Partial<ValueDeclaration>): void;
  /**
   * Adds a `metadata_props` entry (keys are unique).
   *
   * @example
   * b.metadata('voxnas.layout', 'NCDHW');
   */
  metadata(key: string, value: string): void;
  /**
   * A value name not used yet, reserved for the caller: `prefix`, else `prefix_1`, `prefix_2`, …
   *
   * @example
   * const w = b.initializer(b.uniqueName('conv/weight'), filter);
   */
  uniqueName(prefix: string): string;
  /** Whether `name` is defined (an input, initializer or node output). */
  has(name: string): boolean;
  /** What the builder knows about a defined value, or `undefined` for an unknown name. */
  valueInfo(name: string): ValueInfo | undefined;
  /** Records the dtype / static shape of a node output (emitters do this so later checks can use it). */
  setValueInfo(name: string, info: Partial<ValueInfo>): void;
  /**
   * Serialises the model (`ModelProto` with `ir_version`, `opset_import`, graph, metadata). May be called
   * again after more nodes are added.
   */
  toBytes(): Uint8Array;
}

/** Supported default-domain opsets and the IR version ONNX released each with. */
const IR_VERSION_OF_OPSET: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/** Lowest and highest opset {@link createGraphBuilder} accepts. */
export const OPSET_RANGE = Object.freeze({ min: 17, max: 21 });

const DTYPES: readonly OnnxDType[] = [
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
  'bool',
];
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OP_TYPE = /^[A-Za-z][A-Za-z0-9_]*$/;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  if (v === null || typeof v !== 'object') return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${'length' in v ? String(v.length) : v.byteLength})`;
  if (Object.getPrototypeOf(v) === Object.prototype) {
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${describe(x)}`)
      .join(', ')} }`;
  }
  return Object.prototype.toString.call(v).slice(8, -1);
}

function checkName(where: string, what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new OnnxGraphError(`${where}: ${what} must be a non-empty string, got ${describe(name)}`);
  }
}

function checkShape(where: string, shape: unknown, allowUnknown: boolean): asserts shape is KnownShape {
  if (!Array.isArray(shape)) {
    throw new OnnxGraphError(`${where}: shape must be an array of dimensions, got ${describe(shape)}`);
  }
  shape.forEach((d: unknown, i) => {
    if (d === undefined && allowUnknown) return;
    if (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) return;
    if (typeof d === 'string' && SYMBOL.test(d)) return;
    throw new OnnxGraphError(
      `${where}: dimension ${i} of shape ${describe(shape)} is ${describe(d)}, expected an integer ≥ 0 or a symbolic name like 'N' or 'D' (letters, digits, _)`,
    );
  });
}

function checkDType(where: string, dtype: unknown): asserts dtype is OnnxDType {
  if (!DTYPES.includes(dtype as OnnxDType)) {
    throw new OnnxGraphError(`${where}: dtype is ${describe(dtype)}, expected one of ${DTYPES.join(', ')}`);
  }
}

/** Validates initializer-like data; returns its dtype. */
function checkTensor(where: string, spec: InitializerSpec): OnnxDType {
  if (spec === null || typeof spec !== 'object') {
    throw new OnnxGraphError(`${where}: expected { data, shape }, got ${describe(spec)}`);
  }
  const dtype = dtypeOfData(spec.data);
  if (dtype === undefined) {
    throw new OnnxGraphError(
      `${where}: data is ${describe(spec.data)}, expected a Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Int32Array or BigInt64Array`,
    );
  }
  checkShape(where, spec.shape, false);
  if (spec.shape.some((d) => typeof d !== 'number')) {
    throw new OnnxGraphError(`${where}: an initializer shape must be numeric, got ${describe(spec.shape)}`);
  }
  const size = (spec.shape as readonly number[]).reduce((a, b) => a * b, 1);
  if (size !== spec.data.length) {
    throw new OnnxGraphError(
      `${where}: data has ${spec.data.length} elements, shape ${describe(spec.shape)} needs ${size}`,
    );
  }
  if (spec.data instanceof Float32Array || spec.data instanceof Float64Array) {
    const bad = spec.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new OnnxGraphError(`${where}: element ${bad} is ${spec.data[bad]}, expected finite values`);
    }
  }
  return dtype;
}

function checkAttribute(where: string, key: string, value: AttributeValue): void {
  const fail = (expected: string): never => {
    throw new OnnxGraphError(`${where}: attribute ${key} is ${describe(value)}, expected ${expected}`);
  };
  if (typeof value === 'string') return;
  if (Array.isArray(value)) {
    if (!value.every((s) => typeof s === 'string'))
      fail('a string list (or wrap numbers: attr.ints([…]) / attr.floats([…]))');
    return;
  }
  if (typeof value === 'number') fail(`a typed number: attr.int(${value}) or attr.float(${value})`);
  if (value === null || typeof value !== 'object' || !('type' in value))
    fail('a string, a string list or attr.int/ints/float/floats/tensor(…)');
  const v = value as Exclude<AttributeValue, string | readonly string[]>;
  switch (v.type) {
    case 'int':
      if (!Number.isSafeInteger(v.value)) fail('attr.int of a safe integer');
      return;
    case 'ints':
      if (!Array.isArray(v.value) || !v.value.every((x) => Number.isSafeInteger(x)))
        fail('attr.ints of safe integers');
      return;
    case 'float':
      if (typeof v.value !== 'number' || !Number.isFinite(v.value)) fail('attr.float of a finite number');
      return;
    case 'floats':
      if (!Array.isArray(v.value) || !v.value.every((x) => typeof x === 'number' && Number.isFinite(x)))
        fail('attr.floats of finite numbers');
      return;
    case 'tensor':
      checkTensor(`${where}: attribute ${key}`, v.value);
      return;
    default:
      fail('a string, a string list or attr.int/ints/float/floats/tensor(…)');
  }
}

/**
 * Creates a {@link GraphBuilder} for one model. Names are the ONNX tensor names; a name is defined once
 * (graph input, initializer or node output) and must be defined before a node uses it, so the graph is
 * always in topological order.
 *
 * @throws OnnxGraphError for an opset outside {@link OPSET_RANGE} or malformed options.
 * @example
 * const b = createGraphBuilder({ opset: 17 });
 * const x = b.input('input', { dtype: 'float32', shape: ['N', 2, 'D', 'H', 'W'] });
 * const [y] = b.node('Relu', { inputs: [x] });
 * b.output(y!, { dtype: 'float32', shape: ['N', 2, 'D', 'H', 'W'] });
 * const bytes = b.toBytes(); // Uint8Array, a complete .onnx file
 */
export function createGraphBuilder(options: GraphBuilderOptions = {}): GraphBuilder {
  const opset = options.opset ?? 17;
  const irVersion = IR_VERSION_OF_OPSET[opset];
  if (irVersion === undefined) {
    throw new OnnxGraphError(
      `createGraphBuilder: opset is ${describe(opset)}, expected an integer in [${OPSET_RANGE.min}, ${OPSET_RANGE.max}] (ONNX Runtime reads opset 17 from version 1.13 on)`,
    );
  }
  for (const key of ['graphName', 'producerName', 'producerVersion', 'docString'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'string') {
      throw new OnnxGraphError(`createGraphBuilder: ${key} is ${describe(v)}, expected a string`);
    }
  }

  const values = new Map<string, { dtype: OnnxDType | undefined; shape: KnownShape | undefined }>();
  const reserved = new Set<string>();
  const nodeNames = new Set<string>();
  const parts: ModelParts = {
    opset,
    irVersion,
    graphName: options.graphName ?? 'voxnas',
    producerName: options.producerName ?? 'voxnas',
    producerVersion: options.producerVersion ?? '',
    docString: options.docString ?? '',
    inputs: [],
    initializers: [],
    nodes: [],
    outputs: [],
    metadata: [],
  };

  function define(
    where: string,
    name: string,
    info: { dtype: OnnxDType | undefined; shape: KnownShape | undefined },
  ): void {
    checkName(where, 'a value name', name);
    if (values.has(name)) {
      throw new OnnxGraphError(
        `${where}: value "${name}" is already defined, expected a new name (b.uniqueName("${name}") gives one)`,
      );
    }
    values.set(name, info);
    reserved.delete(name);
  }

  function uniqueIn(taken: (n: string) => boolean, prefix: string): string {
    if (!taken(prefix)) return prefix;
    for (let i = 1; ; i++) {
      const candidate = `${prefix}_${i}`;
      if (!taken(candidate)) return candidate;
    }
  }

  const builder: GraphBuilder = {
    opset,
    irVersion,

    input(name, declaration) {
      const where = `input(${describe(name)})`;
      checkName(where, 'the name', name);
      checkDType(where, declaration?.dtype);
      checkShape(where, declaration.shape, true);
      define(where, name, { dtype: declaration.dtype, shape: declaration.shape.slice() });
      parts.inputs.push({ name, dtype: declaration.dtype, shape: declaration.shape.slice() });
      return name;
    },

    initializer(name, spec) {
      const where = `initializer(${describe(name)})`;
      checkName(where, 'the name', name);
      const dtype = checkTensor(where, spec);
      define(where, name, { dtype, shape: spec.shape.slice() });
      parts.initializers.push({ name, dtype, data: spec.data, shape: spec.shape.slice() });
      return name;
    },

    node(opType, spec) {
      const where = `node(${describe(opType)})`;
      if (typeof opType !== 'string' || !OP_TYPE.test(opType)) {
        throw new OnnxGraphError(
          `${where}: op type must be an identifier like 'Conv', got ${describe(opType)}`,
        );
      }
      if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.inputs)) {
        throw new OnnxGraphError(
          `${where}: expected { inputs: string[], outputs?, attributes? }, got ${describe(spec)}`,
        );
      }
      spec.inputs.forEach((input, i) => {
        if (input === '') return;
        checkName(where, `input ${i}`, input);
        if (!values.has(input)) {
          throw new OnnxGraphError(
            `${where}: input ${i} "${input}" is not defined yet, expected a graph input, an initializer or an earlier node's output`,
          );
        }
      });
      const attributes = spec.attributes ?? {};
      if (attributes === null || typeof attributes !== 'object') {
        throw new OnnxGraphError(`${where}: attributes must be an object, got ${describe(attributes)}`);
      }
      for (const [key, value] of Object.entries(attributes)) {
        checkName(where, 'an attribute name', key);
        checkAttribute(where, key, value);
      }
      const domain = spec.domain ?? '';
      if (typeof domain !== 'string') {
        throw new OnnxGraphError(`${where}: domain must be a string, got ${describe(domain)}`);
      }
      if (spec.name !== undefined) checkName(where, 'the node name', spec.name);
      const prefix = spec.name ?? opType.toLowerCase();
      let outputs: string[];
      if (spec.outputs === undefined || typeof spec.outputs === 'number') {
        const count = spec.outputs ?? 1;
        if (!Number.isInteger(count) || count < 1)
          throw new OnnxGraphError(
            `${where}: outputs is ${describe(count)}, expected a count ≥ 1 or a list of names`,
          );
        outputs = Array.from({ length: count }, (_, i) =>
          builder.uniqueName(count === 1 ? prefix : `${prefix}:${i}`),
        );
      } else if (Array.isArray(spec.outputs) && spec.outputs.length > 0) {
        outputs = spec.outputs.slice();
      } else {
        throw new OnnxGraphError(
          `${where}: outputs is ${describe(spec.outputs)}, expected a count ≥ 1 or a non-empty list of names`,
        );
      }
      const seen = new Set<string>();
      for (const out of outputs) {
        checkName(where, 'an output name', out);
        if (values.has(out) || seen.has(out)) {
          throw new OnnxGraphError(
            `${where}: output "${out}" is already defined, expected a new name (b.uniqueName("${out}") gives one)`,
          );
        }
        seen.add(out);
      }
      for (const out of outputs) define(where, out, { dtype: undefined, shape: undefined });
      const nodeName = uniqueIn((n) => nodeNames.has(n), prefix);
      nodeNames.add(nodeName);
      parts.nodes.push({
        opType,
        name: nodeName,
        domain,
        inputs: spec.inputs.slice(),
        outputs,
        attributes: { ...attributes },
      });
      return outputs;
    },

    output(name, declaration = {}) {
      const where = `output(${describe(name)})`;
      checkName(where, 'the name', name);
      const known = values.get(name);
      if (known === undefined) {
        throw new OnnxGraphError(
          `${where}: "${name}" is not defined, expected a graph input, initializer or node output`,
        );
      }
      if (parts.outputs.some((o) => o.name === name)) {
        throw new OnnxGraphError(`${where}: "${name}" is already a graph output`);
      }
      const dtype = declaration.dtype ?? known.dtype;
      if (dtype === undefined) {
        throw new OnnxGraphError(
          `${where}: the element type of "${name}" is not known, expected { dtype } (e.g. 'float32')`,
        );
      }
      checkDType(where, dtype);
      const shape = declaration.shape ?? known.shape;
      if (shape !== undefined) {
        checkShape(where, shape, true);
        const k = known.shape;
        if (k !== undefined) {
          const clash =
            k.length !== shape.length ||
            shape.some((d, i) => typeof d === 'number' && typeof k[i] === 'number' && d !== k[i]);
          if (clash) {
            throw new OnnxGraphError(
              `${where}: declared shape ${describe(shape)} contradicts the known shape ${describe(k)}`,
            );
          }
        }
      }
      parts.outputs.push({ name, dtype, shape: shape?.slice() });
    },

    metadata(key, value) {
      const where = `metadata(${describe(key)})`;
      checkName(where, 'the key', key);
      if (typeof value !== 'string') {
        throw new OnnxGraphError(`${where}: value is ${describe(value)}, expected a string`);
      }
      if (parts.metadata.some((m) => m.key === key)) {
        throw new OnnxGraphError(`${where}: key "${key}" is already set`);
      }
      parts.metadata.push({ key, value });
    },

    uniqueName(prefix) {
      checkName('uniqueName', 'the prefix', prefix);
      const name = uniqueIn((n) => values.has(n) || reserved.has(n), prefix);
      reserved.add(name);
      return name;
    },

    has(name) {
      return values.has(name);
    },

    valueInfo(name) {
      const v = values.get(name);
      return v === undefined ? undefined : { dtype: v.dtype, shape: v.shape };
    },

    setValueInfo(name, info) {
      const where = `setValueInfo(${describe(name)})`;
      const v = values.get(name);
      if (v === undefined) throw new OnnxGraphError(`${where}: "${name}" is not defined`);
      if (info.dtype !== undefined) {
        checkDType(where, info.dtype);
        v.dtype = info.dtype;
      }
      if (info.shape !== undefined) {
        checkShape(where, info.shape, true);
        v.shape = info.shape.slice();
      }
    },

    toBytes() {
      if (parts.outputs.length === 0) {
        throw new OnnxGraphError(
          'toBytes: the graph has no output, expected at least one b.output(name) call',
        );
      }
      return encodeModel(parts);
    },
  };
  return builder;
}
