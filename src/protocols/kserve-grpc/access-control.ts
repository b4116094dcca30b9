/**
 * Authentication and authorization for the gRPC front-end, the twin of http/access-control.ts:
 * API keys from `authorization: Bearer <key>` or `api-key` metadata (the same key store, compared
 * in constant time), the same scopes per Triton API group, per-key model allow-lists (other models
 * answer NOT_FOUND so keys cannot probe for names), `--grpc-restricted-api` metadata checks,
 * admin RPCs limited to loopback peers when no key is configured, and per-key rate and
 * concurrency limits. Health RPCs stay open. Keys never reach logs, statuses or metadata.
 */
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { InferError } from '../../core/errors.js';
import { isAdminGroup, scopeOf, type ApiGroup } from '../../security/api-groups.js';
import { presentedKey, type ApiKeyEntry, type ApiKeys } from '../../security/api-keys.js';
import type { KeyLimiter } from '../../security/rate-limit.js';
import { restrictionsAllow, type Restriction } from '../../security/restricted-api.js';
import { GrpcStatusError } from './status.js';

/** Triton's API group of every `GRPCInferenceService` RPC (`--grpc-restricted-protocol` names). */
export const RPC_GROUPS: Readonly<Record<string, ApiGroup>> = {
  ServerLive: 'health',
  ServerReady: 'health',
  ModelReady: 'health',
  ServerMetadata: 'metadata',
  ModelMetadata: 'metadata',
  ModelInfer: 'inference',
  ModelStreamInfer: 'inference',
  ModelConfig: 'model-config',
  ModelStatistics: 'statistics',
  RepositoryIndex: 'model-repository',
  RepositoryModelLoad: 'model-repository',
  RepositoryModelUnload: 'model-repository',
  SystemSharedMemoryStatus: 'shared-memory',
  SystemSharedMemoryRegister: 'shared-memory',
  SystemSharedMemoryUnregister: 'shared-memory',
  CudaSharedMemoryStatus: 'shared-memory',
  CudaSharedMemoryRegister: 'shared-memory',
  CudaSharedMemoryUnregister: 'shared-memory',
  TraceSetting: 'trace',
  LogSettings: 'logging',
};

/** Request fields that name the model an RPC targets; an empty name means "all models". */
const MODEL_FIELD: Readonly<Record<string, 'name' | 'model_name'>> = {
  ModelMetadata: 'name',
  ModelConfig: 'name',
  ModelStatistics: 'name',
  ModelInfer: 'model_name',
  RepositoryModelLoad: 'model_name',
  RepositoryModelUnload: 'model_name',
};

/** Settings of the gRPC access control. */
export interface GrpcAccessOptions {
  readonly keys: ApiKeys;
  /** `--grpc-restricted-api` entries; the header names are metadata keys. */
  readonly restrictions: readonly Restriction[];
  /** When false, admin RPCs answer PERMISSION_DENIED to non-loopback peers unless an admin key is used. */
  readonly allowRemoteAdmin: boolean;
  readonly limiter?: KeyLimiter;
}

/** What a call exposes to the checks: grpc-js server calls satisfy it. */
export interface CallContext {
  readonly metadata: Metadata;
  getPeer(): string;
}

/** An admitted unary call. */
export interface UnaryGrant {
  /** Narrows an "all models" answer (statistics, repository index) to the key's allow-list. */
  filter(response: object): object;
  /** Gives back the key's concurrency slot; idempotent. */
  release(): void;
}

/** An authenticated stream: each request on it is admitted separately. */
export interface StreamGrant {
  /** Checks the model and the key's limits for one request; returns its release function. */
  admit(modelName: string): () => void;
}

const NOTHING = (): void => undefined;
const OPEN_GRANT: UnaryGrant = { filter: (r) => r, release: NOTHING };

/** The peer's address without its port (grpc-js gives `host:port`, IPv6 unbracketed). */
export function peerAddress(peer: string): string {
  const unbracketed = /^\[(.*)\]:\d+$/.exec(peer);
  if (unbracketed) return unbracketed[1] as string;
  const colon = peer.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(peer.slice(colon + 1)) ? peer.slice(0, colon) : peer;
}

function isLoopback(peer: string): boolean {
  const address = peerAddress(peer);
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Text values of the metadata, as the header checks expect them (binary `-bin` values left out). */
function textMetadata(metadata: Metadata): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') out[key] = value;
  return out;
}

/** Models outside a key's allow-list look like unknown models. */
function unknownModel(model: string): InferError {
  return new InferError('NOT_FOUND', `Request for unknown model: '${model.slice(0, 200)}' is not found`);
}

function keepAllowed(list: unknown, allowed: ReadonlySet<string>): unknown {
  return Array.isArray(list) ? list.filter((e: { name?: unknown }) => typeof e?.name === 'string' && allowed.has(e.name)) : list;
}

/** Per-call checks for the gRPC service; one instance per server. */
export class GrpcAccessControl {
  constructor(private readonly opts: GrpcAccessOptions) {}

  /** Authorizes a unary call to `rpc` with its decoded `request`; throws a status error when refused. */
  enterUnary(rpc: string, call: CallContext, request: unknown): UnaryGrant {
    const key = this.authorize(rpc, call);
    if (!key) return OPEN_GRANT;
    const field = MODEL_FIELD[rpc];
    const model = field ? (request as Record<string, unknown> | null)?.[field] : undefined;
    if (typeof model === 'string' && model !== '') this.checkModel(key, model);
    const release = this.admitKey(key);
    const allowed = key.models;
    return {
      release,
      filter: (response) => {
        if (!allowed || (typeof model === 'string' && model !== '')) return response;
        const r = response as Record<string, unknown>;
        if (rpc === 'ModelStatistics') return { ...r, model_stats: keepAllowed(r.model_stats, allowed) };
        if (rpc === 'RepositoryIndex') return { ...r, models: keepAllowed(r.models, allowed) };
        return response;
      },
    };
  }

  /** Authorizes a ModelStreamInfer call as a whole; its requests then go through `admit`. */
  enterStream(call: CallContext): StreamGrant {
    const key = this.authorize('ModelStreamInfer', call);
    if (!key) return { admit: () => NOTHING };
    return {
      admit: (modelName) => {
        this.checkModel(key, modelName);
        return this.admitKey(key);
      },
    };
  }

  /** Runs every check that does not depend on the request body; returns the key, if one is in use. */
  private authorize(rpc: string, call: CallContext): ApiKeyEntry | undefined {
    const group = RPC_GROUPS[rpc];
    if (group === undefined) throw new GrpcStatusError(GrpcStatus.PERMISSION_DENIED, `${rpc} has no access rule`);
    if (group === 'health') return undefined;
    const { keys, restrictions } = this.opts;
    const metadata = restrictions.length > 0 || keys.enabled ? textMetadata(call.metadata) : {};
    if (!restrictionsAllow(restrictions, group, metadata)) {
      throw new GrpcStatusError(GrpcStatus.PERMISSION_DENIED, `this API (${group}) is restricted: the required metadata is missing or wrong`);
    }
    if (keys.enabled) {
      const key = keys.verify(presentedKey(metadata));
      if (!key) throw new GrpcStatusError(GrpcStatus.UNAUTHENTICATED, 'missing or invalid API key');
      const scope = scopeOf(group);
      if (scope && !key.scopes.has(scope)) throw new GrpcStatusError(GrpcStatus.PERMISSION_DENIED, `this API key lacks the '${scope}' scope`);
      return key;
    }
    if (isAdminGroup(group) && !this.opts.allowRemoteAdmin && !isLoopback(call.getPeer())) {
      throw new GrpcStatusError(GrpcStatus.PERMISSION_DENIED, `${group} APIs are only available from loopback unless API keys are configured`);
    }
    return undefined;
  }

  private checkModel(key: ApiKeyEntry, model: string): void {
    if (key.models && !key.models.has(model)) throw unknownModel(model);
  }

  private admitKey(key: ApiKeyEntry): () => void {
    const limiter = this.opts.limiter;
    if (!limiter?.enabled) return NOTHING;
    const admission = limiter.admit(key);
    if (!admission.ok) throw new GrpcStatusError(GrpcStatus.RESOURCE_EXHAUSTED, admission.message, admission.retryAfterSecs);
    return admission.release;
  }
}
