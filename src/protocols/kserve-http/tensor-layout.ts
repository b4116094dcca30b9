/**
 * Wire-level facts about KServe datatypes for the JSON and binary codecs: overflow-safe element
 * counts and shapes, with the element sizes and typed-array storage of core/tensor-storage.ts
 * (re-exported here) so every layer agrees on every size.
 */
import { invalidArgument } from '../../core/errors.js';

export { ELEMENT_SIZE, TYPED_ARRAY, isDataType, type FixedDataType, type FixedTensorData, type TypedArrayCtor } from '../../core/tensor-storage.js';

/**
 * Number of elements a shape holds. Throws INVALID_ARGUMENT when the product exceeds 2^53 − 1,
 * so a shape like [16, 2^60] is refused before anything is allocated for it.
 */
export function elementCount(shape: readonly number[], inputName: string): number {
  let count = 1;
  let overflow = false;
  for (const dim of shape) {
    if (dim === 0) return 0;
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) overflow = true;
  }
  // NOTE: a zero dimension anywhere makes the tensor empty, so overflow is only reported after
  // the whole shape has been seen.
  if (overflow) {
    throw invalidArgument(`shape [${shape.join(',')}] of input '${inputName}' holds too many elements`);
  }
  return count;
}

/**
 * Parses a JSON `shape` value: an array of non-negative safe integers. Throws INVALID_ARGUMENT
 * with Triton's message otherwise.
 */
export function parseShape(value: unknown, tensorName: string): number[] {
  if (!Array.isArray(value)) throw invalidArgument(`Unable to parse 'shape' of input '${tensorName}'`);
  const shape = new Array<number>(value.length);
  for (let i = 0; i < value.length; i++) {
    const d: unknown = value[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw invalidArgument(
        `Unable to parse 'shape' of input '${tensorName}': dimensions must be non-negative integers below 2^53`,
      );
    }
    shape[i] = d;
  }
  return shape;
}
