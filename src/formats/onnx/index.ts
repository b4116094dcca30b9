/**
 * ONNX model files: a writer for building models and a header reader for validating them.
 */
export {
  encodeOnnxModel,
  encodeTensor,
  DEFAULT_IR_VERSION,
  DEFAULT_OPSET_VERSION,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxGraphSpec,
  type OnnxInitializer,
  type OnnxModelSpec,
  type OnnxNode,
  type OnnxValueInfo,
} from './onnx-writer.js';
export { readOnnxInfo, type OnnxModelInfo, type OnnxOpsetInfo, type OnnxTensorInfo } from './onnx-reader.js';
export { ONNX_ELEM_TYPE, dataTypeFromOnnx, onnxElemTypeName, onnxElementSize } from './onnx-data-types.js';
