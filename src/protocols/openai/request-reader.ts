/**
 * Typed, bounded reads of untrusted JSON request fields. Every failure is an INVALID_ARGUMENT
 * naming the field (OpenAI's `param`), so the edge can answer a precise 400.
 */
import { badParam } from '../../core/llm/llm-errors.js';

type Json = Record<string, unknown>;

/** Numeric bounds of a field. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly integer?: boolean;
}

/** Reads fields of one JSON object; `prefix` names nested objects in messages. */
export class RequestReader {
  constructor(
    readonly body: Json,
    private readonly prefix = '',
  ) {}

  /** Checks that `value` is a JSON object; throws a 400 naming `param` otherwise. */
  static object(value: unknown, param: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badParam(`${param || 'the request body'} must be a JSON object`, param || undefined);
    return value as Json;
  }

  private name(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  /** Whether the field is present and not null. */
  has(key: string): boolean {
    return this.body[key] !== undefined && this.body[key] !== null;
  }

  raw(key: string): unknown {
    return this.body[key] ?? undefined;
  }

  string(key: string): string {
    const v = this.body[key];
    if (typeof v !== 'string') throw badParam(`${this.name(key)} must be a string`, this.name(key));
    return v;
  }

  optString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  optBool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.body[key];
    if (typeof v !== 'boolean') throw badParam(`${this.name(key)} must be a boolean`, this.name(key));
    return v;
  }

  optNumber(key: string, bounds: NumberBounds = {}): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.body[key];
    const name = this.name(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badParam(`${name} must be a number`, name);
    if (bounds.integer && !Number.isInteger(v)) throw badParam(`${name} must be an integer`, name);
    if (bounds.min !== undefined && v < bounds.min) throw badParam(`${name} must be at least ${bounds.min}, got ${v}`, name);
    if (bounds.max !== undefined && v > bounds.max) throw badParam(`${name} must be at most ${bounds.max}, got ${v}`, name);
    if (bounds.exclusiveMin !== undefined && v <= bounds.exclusiveMin) throw badParam(`${name} must be greater than ${bounds.exclusiveMin}, got ${v}`, name);
    return v;
  }

  optObject(key: string): RequestReader | undefined {
    if (!this.has(key)) return undefined;
    return new RequestReader(RequestReader.object(this.body[key], this.name(key)), this.name(key));
  }

  optArray(key: string): unknown[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.body[key];
    if (!Array.isArray(v)) throw badParam(`${this.name(key)} must be an array`, this.name(key));
    return v;
  }
}
