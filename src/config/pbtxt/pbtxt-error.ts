/**
 * The one error type of the pbtxt reader: every syntax or schema problem carries the source name
 * and a 1-based line:column, so a bad config.pbtxt points at its own text.
 */
import { InferError } from '../../core/errors.js';

/** A position in the text, 1-based. */
export interface TextPos {
  readonly line: number;
  readonly column: number;
}

/** A syntax or schema error at `source:line:column`; an INVALID_ARGUMENT InferError. */
export class PbtxtError extends InferError {
  constructor(
    /** The problem alone, without the location prefix. */
    readonly reason: string,
    readonly pos: TextPos,
    readonly source?: string,
  ) {
    super('INVALID_ARGUMENT', `${source ? `${source}:` : ''}${pos.line}:${pos.column}: ${reason}`);
  }
}
