import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_BYTES, grpcServerOptions } from './grpc-server.js';
import type { InferenceServer } from '../../core/inference-server.js';

const base = { inference: {} as InferenceServer, host: '127.0.0.1', port: 0 };

describe('grpcServerOptions', () => {
  it('bounds both message directions at 64 MiB by default and sets Triton keepalive defaults', () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(64 * 1024 * 1024);
    expect(grpcServerOptions(base)).toEqual({
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.keepalive_time_ms': 7_200_000,
      'grpc.keepalive_timeout_ms': 20_000,
    });
  });

  it('never allows an unlimited or nonsensical message size', () => {
    for (const maxMessageBytes of [0, -1, 1.5, Infinity, NaN, 2 ** 31]) {
      expect(() => grpcServerOptions({ ...base, maxMessageBytes })).toThrow(RangeError);
    }
  });

  it('maps keepalive and connection settings', () => {
    const opts = grpcServerOptions({
      ...base,
      maxMessageBytes: 1024,
      maxConcurrentStreams: 100,
      keepalive: { timeMs: 30_000, timeoutMs: 5_000, maxConnectionIdleMs: 60_000, maxConnectionAgeMs: 3_600_000, maxConnectionAgeGraceMs: 10_000 },
    });
    expect(opts).toEqual({
      'grpc.max_receive_message_length': 1024,
      'grpc.max_send_message_length': 1024,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_connection_idle_ms': 60_000,
      'grpc.max_connection_age_ms': 3_600_000,
      'grpc.max_connection_age_grace_ms': 10_000,
      'grpc.max_concurrent_streams': 100,
    });
    expect(() => grpcServerOptions({ ...base, keepalive: { timeMs: 0 } })).toThrow(/keepalive.timeMs/);
  });
});
