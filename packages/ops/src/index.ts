export { UnknownOperatorError, OperatorDefinitionError, OperatorInputError, WeightsFormatError, BackendError } from './errors.js';
export { initBackend, currentBackend } from './backend.js';
export type { BackendChoice, InitBackendOptions } from './backend.js';
export { probeWebGpu, selectWebGpu, adapterLabel } from './webgpu.js';
export type { WebGpuProbe } from './webgpu.js';
export { heNormal, glorotUniform, constantInit } from './init.js';
export type { Initializer } from './init.js';
export { Module } from './module.js';
export { recompute, isRecomputing } from './recompute.js';
export { variableGrads } from './lean-gradients.js';
export type { RecomputeMode, RecomputeOptions } from './recompute.js';
export { hostTensor, hostVector } from './onnx-hook.js';
export type { OnnxEmitContext, OnnxEmittable, HostTensor } from './onnx-hook.js';
export type { Network, NamedVariable, ParameterOptions } from './module.js';
export {
  serializeWeights,
  deserializeWeights,
  WEIGHTS_JSON,
  WEIGHTS_BIN,
} from './weights-io.js';
export type { WeightsFile, HasNamedVariables } from './weights-io.js';

export { conv3d, dilateFilter } from './primitives/conv3d.js';
export type { Conv3dOptions, Padding3d } from './primitives/conv3d.js';
export { depthwiseConv3d } from './primitives/depthwise-conv3d.js';
export type { DepthwiseConv3dOptions } from './primitives/depthwise-conv3d.js';
export { conv3dTranspose } from './primitives/conv3d-transpose.js';
export type { Conv3dTransposeOptions } from './primitives/conv3d-transpose.js';
export { upsample3d } from './primitives/upsample3d.js';
export type { Upsample3dOptions } from './primitives/upsample3d.js';
export { instanceNorm3d, groupNorm3d, batchNorm3d } from './primitives/normalization.js';
export type { NormAffine } from './primitives/normalization.js';
export { pool3d } from './primitives/pool3d.js';
export type { Pool3dOptions } from './primitives/pool3d.js';

export { Conv3d, DepthwiseConv3d, ConvTranspose3d } from './modules/conv3d.js';
export type { Conv3dModuleOptions } from './modules/conv3d.js';
export { InstanceNorm3d, GroupNorm3d, BatchNorm3d } from './modules/norm.js';
export type { NormOptions } from './modules/norm.js';
export { ReLU, LeakyReLU, PReLU } from './modules/activation.js';
export { Sequential } from './modules/sequential.js';
export { Pool3d, Upsample3d, FactorizedReduce } from './modules/resample.js';

export { defineOperator } from './operator-spec.js';
export type {
  OperatorSpec,
  OperatorDefinition,
  OperatorCost,
  BuildContext,
  CostContext,
  Stride,
  Shape5,
} from './operator-spec.js';
export {
  registerOperator,
  unregisterOperator,
  getOperator,
  listOperators,
  buildOperator,
  operatorCost,
  needsSameChannels,
  OperatorModule,
} from './registry.js';
export type { OperatorConfig } from './registry.js';
export { RECOMPUTE_BYTES_PER_BOUNDARY_BYTE, TAPE_BYTES_PER_ACTIVATION_BYTE, estimateStepMemory, formatBytes, parseByteSize } from './memory.js';
export type { OptimizerStateKind, RecomputeSegments, StepKernels, StepMemoryEstimate, StepMemoryInput } from './memory.js';
export {
  BUILTIN_OPERATORS,
  zero,
  identity,
  conv3x3x3,
  conv3x3x1,
  p3d3x3x1,
  dilConv3x3x3,
  sepConv3x3x3,
  maxPool3x3x3,
  avgPool3x3x3,
  tconv3x3x3,
} from './operators/index.js';
