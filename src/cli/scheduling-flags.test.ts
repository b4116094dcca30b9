import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../config/server-options.js';
import { parseCacheConfig } from '../config/server-options.js';
import { addServeCommand } from './serve-command.js';

async function parse(args: string[]): Promise<ServerOptions> {
  let got: ServerOptions | undefined;
  const program = new Command().exitOverride();
  addServeCommand(program, async (options) => {
    got = options;
  }).exitOverride();
  await program.parseAsync(['node', 'inferd', 'serve', ...args]);
  return got as ServerOptions;
}

afterEach(() => {
  delete process.env.INFERD_CACHE_CONFIG;
  delete process.env.INFERD_RATE_LIMIT;
});

describe('serve flags for the response cache and the rate limiter', () => {
  it('defaults to no cache and no rate limiting', async () => {
    const o = await parse([]);
    expect(o.cacheConfig).toBeUndefined();
    expect(o.rateLimit).toBe('off');
    expect(o.rateLimitResources).toEqual([]);
  });

  it('parses --cache-config, --rate-limit and repeated --rate-limit-resource', async () => {
    const o = await parse(['--cache-config', 'local,size=1m', '--rate-limit', 'execution_count', '--rate-limit-resource', 'R1:4', '--rate-limit-resource', 'R2:2:0']);
    expect(o.cacheConfig).toEqual({ kind: 'local', sizeBytes: 1024 * 1024 });
    expect(o.rateLimit).toBe('execution_count');
    expect(o.rateLimitResources).toEqual([{ name: 'R1', count: 4 }, { name: 'R2', count: 2, device: 'gpu:0' }]);
  });

  it('reads INFERD_CACHE_CONFIG and INFERD_RATE_LIMIT', async () => {
    process.env.INFERD_CACHE_CONFIG = 'local,size=4096';
    process.env.INFERD_RATE_LIMIT = 'execution_count';
    const o = await parse([]);
    expect(o.cacheConfig?.sizeBytes).toBe(4096);
    expect(o.rateLimit).toBe('execution_count');
  });

  it('rejects malformed cache settings', () => {
    expect(() => parseCacheConfig('redis,size=10')).toThrow(/only 'local'/);
    expect(() => parseCacheConfig('local')).toThrow(/size=BYTES is required/);
    expect(() => parseCacheConfig('local,ttl=3')).toThrow(/unknown cache setting/);
  });
});
