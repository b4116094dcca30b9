/**
 * A bound on JSON nesting, checked on the raw text before any parser runs. V8's JSON.parse
 * accepts any depth, but every level costs it time and memory (about 0.4 µs and 60 bytes), and
 * code that walks the result recursively overflows the stack: a 64 MiB body of brackets would pin
 * the event loop for seconds. The scan is one pass over the characters and allocates nothing.
 */
import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../core/errors.js';

/** Deepest object/array nesting accepted by default; KServe `data` alone may nest 64 levels. */
export const DEFAULT_MAX_JSON_DEPTH = 128;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/** True when `text` nests objects/arrays deeper than `maxDepth`; brackets inside strings do not count. */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Throws INVALID_ARGUMENT (400) when `text` nests deeper than `maxDepth`. */
export function assertJsonDepth(text: string, maxDepth: number): void {
  if (jsonDepthExceeds(text, maxDepth)) throw invalidArgument(`request JSON nests deeper than ${maxDepth} levels`);
}

/**
 * Replaces the `application/json` parser of `app` (and of every plugin that keeps it: OpenAI,
 * generate) with one that checks the depth first, then runs Fastify's own parser with its
 * `__proto__` / `constructor` poisoning protection.
 */
export function installJsonDepthLimit(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, maxDepth)) {
      done(invalidArgument(`request JSON nests deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
