import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogError, HubClient } from '../../src/catalog/index.js';

/** Two origins: the "Hub" redirects downloads to the "CDN"; both record the headers they saw. */
let hub: Server;
let cdn: Server;
let hubUrl = '';
let cdnUrl = '';
const seen: { server: string; headers: IncomingHttpHeaders }[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  cdn = createServer((req, res) => {
    seen.push({ server: 'cdn', headers: req.headers });
    res.writeHead(200, { 'content-length': '5' });
    res.end('hello');
  });
  hub = createServer((req, res) => {
    seen.push({ server: 'hub', headers: req.headers });
    if (req.url?.includes('/slow/')) return void setTimeout(() => res.end(), 2000);
    if (req.url?.includes('/renamed/')) {
      res.writeHead(307, { location: req.url.replace('/renamed/', '/acme/') });
      return void res.end();
    }
    res.writeHead(302, { location: `${cdnUrl}/blob`, 'x-repo-commit': 'c'.repeat(40), 'x-linked-etag': `"${'a'.repeat(64)}"`, 'x-linked-size': '5' });
    res.end();
  });
  cdnUrl = await listen(cdn);
  hubUrl = await listen(hub);
});
afterAll(async () => {
  for (const s of [hub, cdn]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('HubClient', () => {
  it('sends the token to the Hub but never to another origin', async () => {
    seen.length = 0;
    const client = new HubClient({ endpoint: hubUrl, token: 'hf_secret' });
    const res = await client.openFile('acme/model', 'main', 'model.gguf', 0);
    expect(await res.text()).toBe('hello');
    expect(seen.map((s) => [s.server, s.headers.authorization])).toEqual([['hub', 'Bearer hf_secret'], ['cdn', undefined]]);
  });

  it('reads metadata from the redirect, following only relative redirects', async () => {
    seen.length = 0;
    const meta = await new HubClient({ endpoint: hubUrl }).fileMetadata('renamed/model', 'main', 'model.gguf');
    expect(meta).toEqual({ commit: 'c'.repeat(40), etag: 'a'.repeat(64), size: 5, sha256: 'a'.repeat(64) });
    expect(seen.map((s) => s.server)).toEqual(['hub', 'hub']);
  });

  it('gives up on a Hub that does not answer in time, as a retryable NETWORK error', async () => {
    const err = await new HubClient({ endpoint: hubUrl, requestTimeoutMs: 200 }).fileMetadata('slow/model', 'main', 'model.gguf').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).code).toBe('NETWORK');
    expect((err as CatalogError).message).toMatch(/no answer within 200 ms/);
  });
});
