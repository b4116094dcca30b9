/**
 * GGUF's on-disk vocabulary: metadata value types, ggml tensor types with their block layout,
 * and the typed shapes the writer accepts and the reader returns. Numbers follow the GGUF v3
 * specification (ggml/docs/gguf.md) and ggml.h.
 */

/** The four magic bytes every GGUF file starts with ("GGUF"). */
export const GGUF_MAGIC = 0x46554747;

/** The format version this writer produces. */
export const GGUF_VERSION = 3;

/** Default data-section alignment when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Scalar metadata value types. */
export type GgufScalarType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'bool'
  | 'string'
  | 'uint64'
  | 'int64'
  | 'float64';

/** Every metadata value type, scalar or array. */
export type GgufValueType = GgufScalarType | 'array';

/** Wire codes of the metadata value types (`gguf_metadata_value_type`). */
export const GGUF_VALUE_TYPE_CODE: Readonly<Record<GgufValueType, number>> = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
};

/** Maps a wire code back to its value type name; undefined for unknown codes. */
export function ggufValueTypeFromCode(code: number): GgufValueType | undefined {
  for (const [name, c] of Object.entries(GGUF_VALUE_TYPE_CODE)) if (c === code) return name as GgufValueType;
  return undefined;
}

/** A scalar as JavaScript holds it: 64-bit integers as bigint, bool as boolean. */
export type GgufScalar = number | bigint | boolean | string;

/** One metadata value. Arrays keep their element type; numeric arrays may be typed arrays. */
export type GgufValue =
  | { readonly type: GgufScalarType; readonly value: GgufScalar }
  | {
      readonly type: 'array';
      readonly itemType: GgufValueType;
      readonly values: readonly GgufScalar[] | readonly GgufValue[] | Float32Array | Int32Array;
    };

/** A ggml tensor type with its quantization block: `blockSize` elements take `typeSize` bytes. */
export interface GgmlTypeInfo {
  readonly name: string;
  readonly code: number;
  readonly blockSize: number;
  readonly typeSize: number;
}

// NOTE: block layouts from ggml.c `type_traits`; codes 4, 5, 31-33 and 36-38 were removed upstream.
const GGML_TYPE_LIST: readonly GgmlTypeInfo[] = [
  { name: 'F32', code: 0, blockSize: 1, typeSize: 4 },
  { name: 'F16', code: 1, blockSize: 1, typeSize: 2 },
  { name: 'Q4_0', code: 2, blockSize: 32, typeSize: 18 },
  { name: 'Q4_1', code: 3, blockSize: 32, typeSize: 20 },
  { name: 'Q5_0', code: 6, blockSize: 32, typeSize: 22 },
  { name: 'Q5_1', code: 7, blockSize: 32, typeSize: 24 },
  { name: 'Q8_0', code: 8, blockSize: 32, typeSize: 34 },
  { name: 'Q8_1', code: 9, blockSize: 32, typeSize: 36 },
  { name: 'Q2_K', code: 10, blockSize: 256, typeSize: 84 },
  { name: 'Q3_K', code: 11, blockSize: 256, typeSize: 110 },
  { name: 'Q4_K', code: 12, blockSize: 256, typeSize: 144 },
  { name: 'Q5_K', code: 13, blockSize: 256, typeSize: 176 },
  { name: 'Q6_K', code: 14, blockSize: 256, typeSize: 210 },
  { name: 'Q8_K', code: 15, blockSize: 256, typeSize: 292 },
  { name: 'IQ2_XXS', code: 16, blockSize: 256, typeSize: 66 },
  { name: 'IQ2_XS', code: 17, blockSize: 256, typeSize: 74 },
  { name: 'IQ3_XXS', code: 18, blockSize: 256, typeSize: 98 },
  { name: 'IQ1_S', code: 19, blockSize: 256, typeSize: 50 },
  { name: 'IQ4_NL', code: 20, blockSize: 32, typeSize: 18 },
  { name: 'IQ3_S', code: 21, blockSize: 256, typeSize: 110 },
  { name: 'IQ2_S', code: 22, blockSize: 256, typeSize: 82 },
  { name: 'IQ4_XS', code: 23, blockSize: 256, typeSize: 136 },
  { name: 'I8', code: 24, blockSize: 1, typeSize: 1 },
  { name: 'I16', code: 25, blockSize: 1, typeSize: 2 },
  { name: 'I32', code: 26, blockSize: 1, typeSize: 4 },
  { name: 'I64', code: 27, blockSize: 1, typeSize: 8 },
  { name: 'F64', code: 28, blockSize: 1, typeSize: 8 },
  { name: 'IQ1_M', code: 29, blockSize: 256, typeSize: 56 },
  { name: 'BF16', code: 30, blockSize: 1, typeSize: 2 },
  { name: 'TQ1_0', code: 34, blockSize: 256, typeSize: 54 },
  { name: 'TQ2_0', code: 35, blockSize: 256, typeSize: 66 },
  { name: 'MXFP4', code: 39, blockSize: 32, typeSize: 17 },
];

const GGML_TYPES_BY_CODE = new Map(GGML_TYPE_LIST.map((t) => [t.code, t]));

/** The ggml type with wire code `code`, or undefined when ggml does not define it. */
export function ggmlTypeByCode(code: number): GgmlTypeInfo | undefined {
  return GGML_TYPES_BY_CODE.get(code);
}

/** Tensor types this writer can encode from float32 data. */
export type GgufWritableTensorType = 'F32' | 'F16' | 'Q8_0';

/** The ggml type info of a writable tensor type. */
export function writableTypeInfo(type: GgufWritableTensorType): GgmlTypeInfo {
  const info = GGML_TYPE_LIST.find((t) => t.name === type);
  if (!info) throw new Error(`unknown tensor type ${type}`);
  return info;
}

/**
 * Bytes one tensor occupies, or undefined when the innermost dimension (`ne[0]`) is not a
 * multiple of the type's block size, which ggml cannot represent.
 */
export function tensorByteSize(info: GgmlTypeInfo, dims: readonly number[]): number | undefined {
  const row = dims[0] ?? 1;
  if (row % info.blockSize !== 0) return undefined;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i]!;
  return (row / info.blockSize) * info.typeSize * rows;
}

/** llama.cpp's token attribute kinds (`tokenizer.ggml.token_type`). */
export const GGUF_TOKEN_TYPE = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

/** One token type name. */
export type GgufTokenTypeName = keyof typeof GGUF_TOKEN_TYPE;
