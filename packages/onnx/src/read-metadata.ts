import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { OnnxGraphError } from './errors.js';

/**
 * The `metadata_props` of an ONNX model (e.g. the model card that `voxnas export --format onnx`
 * writes), decoded with the ONNX schema. Browser-safe; ONNX Runtime Web does not expose them.
 *
 * @throws OnnxGraphError when `bytes` is not an ONNX model (a protobuf that does not decode, or one
 *   without a graph).
 * @example
 * const meta = readOnnxMetadata(new Uint8Array(await file.arrayBuffer()));
 * JSON.parse(meta['voxnas.labels']!); // { '0': 'background', '1': 'sphere', … }
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  if (!(bytes instanceof Uint8Array)) {
    throw new OnnxGraphError(`readOnnxMetadata: expected the model file as a Uint8Array, got ${Object.prototype.toString.call(bytes).slice(8, -1)}`);
  }
  let model;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw new OnnxGraphError(`readOnnxMetadata: the ${bytes.length} bytes are not an ONNX model (${(cause as Error).message})`, { cause });
  }
  if (model.graph === undefined || model.irVersion === 0n) {
    throw new OnnxGraphError(`readOnnxMetadata: the ${bytes.length} bytes decode to no ONNX model (no graph or ir_version), expected a .onnx file`);
  }
  const out: Record<string, string> = {};
  for (const { key, value } of model.metadataProps) out[key] = value;
  return out;
}
