/**
 * Starts the KServe v2 / Triton gRPC endpoint (`inference.GRPCInferenceService`) on a host and
 * port with bounded message sizes, keepalive settings, optional TLS and access control, and stops
 * it gracefully.
 */
import { Server, type ServerOptions, type ServiceDefinition } from '@grpc/grpc-js';
import type { InferenceServer } from '../../core/inference-server.js';
import type { TlsMaterial } from '../../security/tls.js';
import type { GrpcAccessControl } from './access-control.js';
import { SILENT_LOGGER, type GrpcLogger } from './grpc-logger.js';
import { loadInferencePackage, SERVICE_NAME } from './proto-loader.js';
import { createGrpcService } from './service.js';
import { grpcServerCredentials } from './tls-credentials.js';

/** Default largest message accepted or sent: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Largest message size that may be configured (grpc-js takes a signed 32-bit length). */
export const MAX_MESSAGE_BYTES_LIMIT = 2 ** 31 - 1;

/** Default time `close()` waits for open calls before cancelling them. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;

/** Server-side HTTP/2 keepalive and connection lifetime, all in milliseconds. */
export interface GrpcKeepaliveOptions {
  /** Interval between keepalive pings on an idle connection (Triton's default: 2 h). */
  readonly timeMs?: number;
  /** How long to wait for a ping acknowledgement before closing the connection (default 20 s). */
  readonly timeoutMs?: number;
  /** Close connections without calls after this long; unset keeps them. */
  readonly maxConnectionIdleMs?: number;
  /** Close connections after this age, letting calls finish for `maxConnectionAgeGraceMs`. */
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
}

/** Options of `startGrpcServer`. */
export interface GrpcServerOptions {
  readonly inference: InferenceServer;
  readonly host: string;
  /** 0 picks a free port; the bound port is returned. */
  readonly port: number;
  /** Largest request or response message in bytes; defaults to 64 MiB and is never unlimited. */
  readonly maxMessageBytes?: number;
  readonly keepalive?: GrpcKeepaliveOptions;
  /** Most concurrent calls (streams) per connection; unset leaves HTTP/2's default. */
  readonly maxConcurrentStreams?: number;
  readonly logger?: GrpcLogger;
  /** Serve TLS only, with this certificate and client verification; absent = plaintext. */
  readonly tls?: TlsMaterial;
  /** API keys, restricted APIs and per-key limits; absent = every RPC open. */
  readonly access?: GrpcAccessControl;
}

/** A running gRPC endpoint. */
export interface GrpcServerHandle {
  readonly port: number;
  /** Stops accepting calls, lets open ones finish for `graceMs`, then cancels the rest. */
  close(graceMs?: number): Promise<void>;
}

const KEEPALIVE_DEFAULTS = { timeMs: 7_200_000, timeoutMs: 20_000 } as const;

function positiveInteger(value: number, what: string, max: number): number {
  if (!Number.isSafeInteger(value) || value <= 0 || value > max) {
    throw new RangeError(`${what} must be an integer in [1, ${max}], got ${value}`);
  }
  return value;
}

/** Translates the options into grpc-js channel arguments. */
export function grpcServerOptions(options: GrpcServerOptions): ServerOptions {
  const maxBytes = positiveInteger(
    options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    'maxMessageBytes',
    MAX_MESSAGE_BYTES_LIMIT,
  );
  const ka = { ...KEEPALIVE_DEFAULTS, ...options.keepalive };
  const out: ServerOptions = {
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc.keepalive_time_ms': positiveInteger(ka.timeMs, 'keepalive.timeMs', MAX_MESSAGE_BYTES_LIMIT),
    'grpc.keepalive_timeout_ms': positiveInteger(ka.timeoutMs, 'keepalive.timeoutMs', MAX_MESSAGE_BYTES_LIMIT),
  };
  const optional: [keyof ServerOptions, number | undefined, string][] = [
    ['grpc.max_connection_idle_ms', ka.maxConnectionIdleMs, 'keepalive.maxConnectionIdleMs'],
    ['grpc.max_connection_age_ms', ka.maxConnectionAgeMs, 'keepalive.maxConnectionAgeMs'],
    ['grpc.max_connection_age_grace_ms', ka.maxConnectionAgeGraceMs, 'keepalive.maxConnectionAgeGraceMs'],
    ['grpc.max_concurrent_streams', options.maxConcurrentStreams, 'maxConcurrentStreams'],
  ];
  for (const [key, value, what] of optional) {
    if (value !== undefined) out[key] = positiveInteger(value, what, MAX_MESSAGE_BYTES_LIMIT);
  }
  return out;
}

/** Binds the service and starts serving; rejects when the address cannot be bound. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const log = options.logger ?? SILENT_LOGGER;
  const server = new Server(grpcServerOptions(options));
  const definition = loadInferencePackage()[SERVICE_NAME] as ServiceDefinition;
  server.addService(definition, createGrpcService({ inference: options.inference, log, ...(options.access ? { access: options.access } : {}) }));
  const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpcServerCredentials(options.tls), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  let closing: Promise<void> | undefined;
  const close = (graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.forceShutdown(), graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }));
  return { port, close };
}
