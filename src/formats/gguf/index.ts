/**
 * GGUF model files: a writer (with generated random-weight Llama models for tests and
 * benchmarks) and a header reader that validates untrusted files before an engine loads them.
 */
export { encodeGguf, writeGgufFile, type GgufFileSpec, type GgufTensorSpec } from './gguf-writer.js';
export {
  DEFAULT_GGUF_LIMITS,
  GgufFormatError,
  ggufArray,
  ggufBool,
  ggufNumber,
  ggufString,
  parseGgufHeader,
  readGgufHeader,
  type GgufHeader,
  type GgufLimits,
  type GgufTensorInfo,
} from './gguf-reader.js';
export {
  GGUF_TOKEN_TYPE,
  GGUF_VERSION,
  ggmlTypeByCode,
  type GgmlTypeInfo,
  type GgufScalar,
  type GgufScalarType,
  type GgufValue,
  type GgufWritableTensorType,
} from './gguf-types.js';
export { CHATML_TEMPLATE, tinyLlamaGguf, tinyLlamaParameterCount, type TinyLlamaOptions } from './tiny-llama.js';
export { CHATML_END, CHATML_START, SPM_SPACE, buildSpmVocabulary, type SpmVocabulary } from './spm-vocabulary.js';
export { dequantizeQ8_0, float16BitsToFloat32, float32ToFloat16Bits, quantizeQ8_0 } from './tensor-encoding.js';
