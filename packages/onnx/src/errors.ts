// The one import of the error base class: when it moves package, this line is the only change.
import { VoxnasError } from '@voxnas/core';

/**
 * A graph or model that ONNX cannot represent or that would not load: a duplicate or unknown tensor
 * name, a malformed shape or dimension, initializer data whose length does not match its shape, an
 * untyped numeric attribute, an unsupported opset or dtype, or a model with no output. The message
 * names the builder call and the value, then what was expected.
 *
 * @example
 * try { b.node('Relu', { inputs: ['nope'] }) } catch (e) { if (e instanceof OnnxGraphError) console.log(e.code) } // E_ONNX_GRAPH
 */
export class OnnxGraphError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ONNX_GRAPH', message, options);
  }
}

/**
 * An emitter (`emitConv3d`, `emitPool3d`, …) got options that do not describe a valid voxnas primitive
 * for its input: a filter of the wrong rank or channel count, a bias or affine vector of the wrong
 * length, a non-positive stride or kernel, groups that do not divide the channels. The message names
 * the emitter, the option and the node, then expected versus got.
 *
 * @example
 * try { emitConv3d(b, x, { weight }) } catch (e) { if (e instanceof OnnxEmitError) console.log(e.message) }
 */
export class OnnxEmitError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ONNX_EMIT', message, options);
  }
}

/**
 * A network could not be exported: a module with no ONNX mapping (a custom module without `emitOnnx`,
 * a custom operator whose spec has no `onnx` mapping, a subclass that changed `forward`), or an input
 * whose channels cannot be inferred. The message names the module path and the operator.
 *
 * @example
 * try { exportOnnx(net) } catch (e) { if (e instanceof OnnxExportError) console.log(e.message) } // names the operator
 */
export class OnnxExportError extends VoxnasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ONNX_EXPORT', message, options);
  }
}
