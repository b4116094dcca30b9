/**
 * A @grpc/grpc-js client generated at runtime from inferd's own grpc_service.proto, with promise
 * helpers for unary calls and a collector for ModelStreamInfer. Tests talk to 127.0.0.1 only.
 */
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadInferencePackage } from '../../../src/protocols/kserve-grpc/index.js';

/** The generated client with methods looked up by RPC name. */
export type InferenceClient = Client & Record<string, (...args: unknown[]) => unknown>;

/** Client options that matter to tests. */
export interface ClientOptions {
  readonly maxSendBytes?: number;
  readonly maxReceiveBytes?: number;
}

/** Connects a client to `127.0.0.1:port`. */
export function connect(port: number, opts: ClientOptions = {}): InferenceClient {
  const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
    inference: { GRPCInferenceService: new (address: string, creds: unknown, options: object) => InferenceClient };
  };
  return new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': opts.maxSendBytes ?? 256 * 1024 * 1024,
    'grpc.max_receive_message_length': opts.maxReceiveBytes ?? 256 * 1024 * 1024,
  });
}

/** Calls a unary RPC; resolves with the decoded response or rejects with the ServiceError. */
export function call<T = any>(client: InferenceClient, rpc: string, request: object, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = new Date(Date.now() + timeoutMs);
    client[rpc]!(request, new Metadata(), { deadline }, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Calls a unary RPC that must fail; resolves with its status code and details. */
export async function callError(client: InferenceClient, rpc: string, request: object): Promise<{ code: number; details: string }> {
  try {
    await call(client, rpc, request);
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error(`${rpc} succeeded but was expected to fail`);
}

/** An open ModelStreamInfer call with every response it has received so far. */
export interface OpenStream {
  readonly responses: any[];
  send(request: object): void;
  /** Half-closes and resolves with the final status once the server ends the call. */
  end(): Promise<{ code: number; details: string }>;
  cancel(): void;
  /** Resolves once `n` responses have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves with the final status, however the call ended. */
  readonly status: Promise<{ code: number; details: string }>;
}

/** Opens ModelStreamInfer. */
export function openStream(client: InferenceClient, timeoutMs = 15_000): OpenStream {
  const deadline = new Date(Date.now() + timeoutMs);
  const stream = client['ModelStreamInfer']!(new Metadata(), { deadline }) as NodeJS.EventEmitter & {
    write(m: object): void;
    end(): void;
    cancel(): void;
  };
  const responses: any[] = [];
  const waiters: (() => void)[] = [];
  stream.on('data', (m: unknown) => {
    responses.push(m);
    for (const w of waiters.splice(0)) w();
  });
  stream.on('error', () => undefined);
  const status = new Promise<{ code: number; details: string }>((resolve) =>
    stream.on('status', (s: { code: number; details: string }) => resolve({ code: s.code, details: s.details })),
  );
  return {
    responses,
    send: (request) => stream.write(request),
    end: () => {
      stream.end();
      return status;
    },
    cancel: () => stream.cancel(),
    status,
    waitFor: (n, ms = 10_000) =>
      new Promise<any[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${responses.length} of ${n} responses arrived`)), ms);
        const check = () => {
          if (responses.length >= n) {
            clearTimeout(timer);
            resolve(responses);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/** A raw FP32 input plus its raw contents entry. */
export function rawFp32(name: string, values: readonly number[], shape: readonly number[] = [values.length]) {
  return { input: { name, datatype: 'FP32', shape }, raw: Buffer.from(new Float32Array(values).buffer) };
}

/** Reads a raw_output_contents entry as numbers of a fixed-size datatype. */
export function readRaw(buf: Buffer, ctor: Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor): number[] {
  const copy = Uint8Array.from(buf);
  return Array.from(new ctor(copy.buffer, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT));
}

/** The value of a response parameter, whatever its kind. */
export function param(response: { parameters?: Record<string, any> }, key: string): unknown {
  const p = response.parameters?.[key];
  return p === undefined ? undefined : p[p.parameter_choice];
}
