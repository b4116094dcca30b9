import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../../security/api-keys.js';
import { KeyLimiter } from '../../security/rate-limit.js';
import { GrpcAccessControl, peerAddress, RPC_GROUPS, type CallContext } from './access-control.js';
import { loadInferencePackage, SERVICE_NAME } from './proto-loader.js';
import { GrpcStatusError, toServiceError } from './status.js';

const KEY = 'unit-test-key-0001';

function call(peer: string, meta: Record<string, string> = {}): CallContext {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(meta)) metadata.set(k, v);
  return { metadata, getPeer: () => peer };
}

function refusal(fn: () => unknown): GrpcStatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GrpcStatusError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('RPC_GROUPS', () => {
  it('classifies every RPC of GRPCInferenceService, so none is served without a rule', () => {
    const rpcs = Object.keys(loadInferencePackage()[SERVICE_NAME] as object);
    expect(rpcs.length).toBeGreaterThan(15);
    for (const rpc of rpcs) expect(RPC_GROUPS[rpc], rpc).toBeDefined();
  });

  it('refuses an RPC it has no rule for', () => {
    const access = new GrpcAccessControl({ keys: new ApiKeys([]), restrictions: [], allowRemoteAdmin: true });
    expect(refusal(() => access.enterUnary('SomethingNew', call('127.0.0.1:1'), {})).code).toBe(status.PERMISSION_DENIED);
  });
});

describe('peerAddress', () => {
  it('strips the port from grpc-js peer strings', () => {
    expect(peerAddress('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerAddress('::1:5000')).toBe('::1');
    expect(peerAddress('[::1]:5000')).toBe('::1');
    expect(peerAddress('::ffff:127.0.0.1:80')).toBe('::ffff:127.0.0.1');
    expect(peerAddress('unknown')).toBe('unknown');
  });
});

describe('admin RPCs without API keys', () => {
  const access = new GrpcAccessControl({ keys: new ApiKeys([]), restrictions: [], allowRemoteAdmin: false });

  it('serves loopback peers and refuses remote ones', () => {
    expect(() => access.enterUnary('RepositoryIndex', call('127.0.0.1:4000'), {})).not.toThrow();
    expect(() => access.enterUnary('RepositoryModelLoad', call('::1:4000'), { model_name: 'a' })).not.toThrow();
    expect(refusal(() => access.enterUnary('RepositoryModelLoad', call('10.1.2.3:4000'), { model_name: 'a' })).code).toBe(status.PERMISSION_DENIED);
    expect(() => access.enterUnary('ModelInfer', call('10.1.2.3:4000'), { model_name: 'a' })).not.toThrow();
  });

  it('serves remote peers with --allow-remote-admin', () => {
    const open = new GrpcAccessControl({ keys: new ApiKeys([]), restrictions: [], allowRemoteAdmin: true });
    expect(() => open.enterUnary('RepositoryIndex', call('10.1.2.3:4000'), {})).not.toThrow();
  });
});

describe('per-key limits on gRPC', () => {
  it('answers RESOURCE_EXHAUSTED with retry-after metadata, and frees the slot on release', () => {
    const keys = new ApiKeys([{ key: KEY }]);
    const access = new GrpcAccessControl({ keys, restrictions: [], allowRemoteAdmin: false, limiter: new KeyLimiter({ maxConcurrency: 1 }) });
    const auth = { authorization: `Bearer ${KEY}` };
    const first = access.enterUnary('ModelInfer', call('127.0.0.1:1', auth), { model_name: 'm' });
    const busy = refusal(() => access.enterUnary('ModelInfer', call('127.0.0.1:1', auth), { model_name: 'm' }));
    expect(busy.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(toServiceError(busy).metadata?.get('retry-after')).toEqual(['1']);
    expect(busy.message).not.toContain(KEY);
    first.release();
    expect(() => access.enterUnary('ModelInfer', call('127.0.0.1:1', auth), { model_name: 'm' })).not.toThrow();
  });

  it('admits each request of a stream separately', () => {
    const keys = new ApiKeys([{ key: KEY, models: ['m'] }]);
    const access = new GrpcAccessControl({ keys, restrictions: [], allowRemoteAdmin: false, limiter: new KeyLimiter({ maxConcurrency: 1 }) });
    const grant = access.enterStream(call('127.0.0.1:1', { 'api-key': KEY }));
    const release = grant.admit('m');
    expect(refusal(() => grant.admit('m')).code).toBe(status.RESOURCE_EXHAUSTED);
    release();
    expect(() => grant.admit('m')()).not.toThrow();
    expect(() => grant.admit('other')).toThrow(/unknown model/);
  });
});
