export { OnnxGraphError, OnnxEmitError, OnnxExportError } from './errors.js';
export { exportOnnx, ONNX_LAYOUT_KEY } from './export-onnx.js';
export type { ExportOnnxOptions } from './export-onnx.js';
export { readOnnxMetadata } from './read-metadata.js';
export { createGraphBuilder, attr, OPSET_RANGE } from './graph-builder.js';
export type {
  GraphBuilder,
  GraphBuilderOptions,
  OnnxDType,
  Dim,
  KnownShape,
  InitializerData,
  InitializerSpec,
  AttributeValue,
  NodeSpec,
  ValueDeclaration,
  ValueInfo,
} from './graph-builder.js';
export {
  NDHWC_TO_NCDHW,
  NCDHW_TO_NDHWC,
  transposeData,
  ndhwcToNcdhw,
  ncdhwToNdhwc,
  conv3dFilterToOnnx,
  depthwiseFilterToOnnx,
  conv3dTransposeFilterToOnnx,
} from './layout.js';
export type { TensorData } from './layout.js';
export { emitConv3d, emitDepthwiseConv3d, emitConv3dTranspose } from './emit-conv.js';
export type {
  ConvPadding,
  EmitConv3dOptions,
  EmitDepthwiseConv3dOptions,
  EmitConv3dTransposeOptions,
} from './emit-conv.js';
export { emitPool3d } from './emit-pool.js';
export type { EmitPool3dOptions } from './emit-pool.js';
export { emitUpsample3d } from './emit-upsample.js';
export type { EmitUpsample3dOptions } from './emit-upsample.js';
export { emitInstanceNorm3d, emitGroupNorm3d, emitBatchNorm3d } from './emit-norm.js';
export type { EmitNormOptions, EmitGroupNormOptions, EmitBatchNormOptions } from './emit-norm.js';
export { emitRelu, emitLeakyRelu, emitPRelu, emitSoftmax } from './emit-activation.js';
export { emitAdd, emitMul, emitConcat, emitPad, emitSlice, emitTranspose } from './emit-tensor.js';
export type { EmitPadOptions, EmitSliceOptions } from './emit-tensor.js';
