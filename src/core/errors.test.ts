import { describe, expect, it } from 'vitest';
import { InferError, toInferError } from './errors.js';

describe('InferError', () => {
  it('maps codes to Triton HTTP statuses', () => {
    expect(new InferError('INVALID_ARGUMENT', 'x').httpStatus).toBe(400);
    expect(new InferError('NOT_FOUND', 'x').httpStatus).toBe(404);
    expect(new InferError('MODEL_NOT_READY', 'x').httpStatus).toBe(503);
  });
  it('wraps foreign errors as INTERNAL and keeps InferErrors', () => {
    const e = new InferError('QUEUE_FULL', 'full');
    expect(toInferError(e)).toBe(e);
    expect(toInferError(new Error('boom')).code).toBe('INTERNAL');
  });
});
