/**
 * Property tests of the OpenAI SSE writer over a real socket: whatever text a chunk carries
 * (newlines, CR, U+2028, `data:` and `[DONE]` look-alikes, NUL, astral characters), a
 * spec-conforming event-stream parser reads back exactly the events that were sent, in order,
 * followed by the `[DONE]` sentinel.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseWriter } from '../../src/protocols/openai/sse.js';
import { NUM_RUNS } from './support/fuzz-server.js';

/** Parses an event stream as the WHATWG HTML spec does: data lines joined by '\n', dispatched on a blank line. */
function parseEventStream(text: string): string[] {
  const events: string[] = [];
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push(data.join('\n'));
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
  }
  return events;
}

let pending: unknown[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    const events = pending;
    void (async () => {
      const sse = new SseWriter(res);
      sse.open();
      for (const e of events) await sse.send(e);
      await sse.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function roundTrip(events: readonly unknown[]): Promise<string[]> {
  pending = [...events];
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return parseEventStream(await res.text());
}

/** Text built from the characters that could break framing, mixed with ordinary ones. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\u0000', 'data: ', 'data:', ': ', '[DONE]', '\n\n', 'event: x', 'id: 1', 'retry: 0'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

/** A streamed chat chunk whose content is hostile text. */
const chunk = hostileText.map((content) => ({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] }));

describe('SSE framing', () => {
  it('chunks with arbitrary text arrive as exactly the events sent, then [DONE]', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 6 }), async (chunks) => {
        const events = await roundTrip(chunks);
        expect(events).toEqual([...chunks.map((c) => JSON.stringify(c)), '[DONE]']);
        expect(events.slice(0, -1).map((e) => JSON.parse(e))).toEqual(chunks);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('arbitrary JSON values (any string content, nesting, unicode) keep one event per send', async () => {
    const value = fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null && typeof v === 'object');
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 5 }), async (values) => {
        const events = await roundTrip(values);
        expect(events).toHaveLength(values.length + 1);
        expect(events.at(-1)).toBe('[DONE]');
        expect(events.slice(0, -1)).toEqual(values.map((v) => JSON.stringify(v)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a string payload is framed too: text with line breaks comes back whole as one event', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileText.filter((t) => t.length > 0), { maxLength: 4 }), async (texts) => {
        const events = await roundTrip(texts);
        const normalized = texts.map((t) => t.replace(/\r\n|\r/g, '\n'));
        expect(events).toEqual([...normalized, '[DONE]']);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
