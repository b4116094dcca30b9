/**
 * `inference.GRPCInferenceService` handlers: each decodes its request, calls the InferenceServer
 * facade and encodes the answer; failures become gRPC statuses (status.ts). ModelStreamInfer lives
 * in stream-infer.ts. Shared memory, trace and log settings are not offered: status queries answer
 * "no regions", everything that would change them answers UNIMPLEMENTED.
 */
import type {
  handleBidiStreamingCall,
  handleUnaryCall,
  sendUnaryData,
  ServerUnaryCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { InferError } from '../../core/errors.js';
import type { InferenceServer } from '../../core/inference-server.js';
import type { GrpcAccessControl, UnaryGrant } from './access-control.js';
import type { GrpcLogger } from './grpc-logger.js';
import { decodeInferRequest, encodeInferResponse, parseModelVersion } from './infer-codec.js';
import type {
  ModelInferRequestMessage,
  ModelRefMessage,
  NamedRequestMessage,
  RepositoryIndexRequestMessage,
  RepositoryModelRequestMessage,
} from './messages.js';
import {
  checkRepositoryName,
  decodeLoadOptions,
  decodeUnloadOptions,
  encodeModelConfig,
  encodeModelMetadata,
  encodeRepositoryIndex,
  encodeServerMetadata,
  encodeStatistics,
} from './model-codec.js';
import { isClientFailure, toGrpcFailure, toServiceError, unimplemented } from './status.js';
import { createStreamInferHandler } from './stream-infer.js';

type Handler<Req> = (request: Req, call: ServerUnaryCall<Req, object>) => object | Promise<object>;

/** Wraps a handler so that access is checked first and every outcome reaches the callback exactly once, errors as statuses. */
function unary<Req>(rpc: string, log: GrpcLogger, handler: Handler<Req>, access: GrpcAccessControl | undefined): handleUnaryCall<Req, object> {
  return (call: ServerUnaryCall<Req, object>, callback: sendUnaryData<object>) => {
    const fail = (err: unknown) => {
      const { code, message } = toGrpcFailure(err);
      if (!isClientFailure(err)) log.error({ err, rpc, code }, message);
      callback(toServiceError(err));
    };
    let grant: UnaryGrant | undefined;
    try {
      grant = access?.enterUnary(rpc, call, call.request);
      Promise.resolve(handler(call.request, call))
        .then((res) => callback(null, grant ? grant.filter(res) : res), fail)
        .finally(() => grant?.release());
    } catch (err) {
      grant?.release();
      fail(err);
    }
  };
}

function modelInfer(inference: InferenceServer): Handler<ModelInferRequestMessage> {
  return async (message, call) => {
    const controller = new AbortController();
    const onCancel = () => controller.abort(new InferError('CANCELLED', 'the client cancelled the request'));
    call.once('cancelled', onCancel);
    try {
      const { request } = decodeInferRequest(message, controller.signal);
      return encodeInferResponse(await inference.infer(request));
    } finally {
      call.off('cancelled', onCancel);
    }
  };
}

/** Status of shared-memory regions: none can ever be registered here, so only "all" has an answer. */
function noRegions(kind: string): Handler<NamedRequestMessage> {
  return ({ name }) => {
    if (name !== '') throw new InferError('NOT_FOUND', `Unable to find ${kind} shared memory region: '${name}'`);
    return { regions: {} };
  };
}

/** Unregistering from an empty region table leaves it empty: nothing to do, nothing to refuse. */
const unregisterNothing: Handler<NamedRequestMessage> = () => ({});

function refuse(rpc: string, why: string): Handler<unknown> {
  return () => {
    throw unimplemented(rpc, why);
  };
}

/** Options of the service implementation. */
export interface GrpcServiceOptions {
  readonly inference: InferenceServer;
  readonly log: GrpcLogger;
  /** API keys, restricted APIs and per-key limits; absent = every RPC open. */
  readonly access?: GrpcAccessControl;
}

/** Builds the handler table for `server.addService(GRPCInferenceService, …)`. */
export function createGrpcService({ inference, log, access }: GrpcServiceOptions): UntypedServiceImplementation {
  const shm = 'shared memory is not available; send tensor data in the request';
  const handlers: Record<string, Handler<never>> = {
    ServerLive: () => ({ live: inference.isLive() }),
    ServerReady: () => ({ ready: inference.isReady() }),
    ModelReady: ({ name, version }: ModelRefMessage) => ({
      ready: inference.isModelReady(name, parseModelVersion(version)),
    }),
    ServerMetadata: () => encodeServerMetadata(inference.serverMetadata()),
    ModelMetadata: ({ name, version }: ModelRefMessage) =>
      encodeModelMetadata(inference.modelMetadata(name, parseModelVersion(version))),
    ModelInfer: modelInfer(inference),
    ModelConfig: ({ name, version }: ModelRefMessage) =>
      encodeModelConfig(inference.modelConfig(name, parseModelVersion(version))),
    ModelStatistics: ({ name, version }: ModelRefMessage) =>
      encodeStatistics(inference.modelStatistics(name === '' ? undefined : name, parseModelVersion(version))),
    RepositoryIndex: async ({ repository_name, ready }: RepositoryIndexRequestMessage) => {
      checkRepositoryName(repository_name);
      return encodeRepositoryIndex(await inference.repositoryIndex({ readyOnly: ready }));
    },
    RepositoryModelLoad: async ({ repository_name, model_name, parameters }: RepositoryModelRequestMessage) => {
      checkRepositoryName(repository_name);
      await inference.loadModel(model_name, decodeLoadOptions(parameters));
      return {};
    },
    RepositoryModelUnload: async ({ repository_name, model_name, parameters }: RepositoryModelRequestMessage) => {
      checkRepositoryName(repository_name);
      await inference.unloadModel(model_name, decodeUnloadOptions(parameters));
      return {};
    },
    SystemSharedMemoryStatus: noRegions('system'),
    SystemSharedMemoryRegister: refuse('SystemSharedMemoryRegister', shm),
    SystemSharedMemoryUnregister: unregisterNothing,
    CudaSharedMemoryStatus: noRegions('cuda'),
    CudaSharedMemoryRegister: refuse('CudaSharedMemoryRegister', shm),
    CudaSharedMemoryUnregister: unregisterNothing,
    TraceSetting: refuse('TraceSetting', 'request tracing is not available'),
    LogSettings: refuse('LogSettings', 'log settings are fixed at startup'),
  };
  const impl: UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(handlers)) impl[rpc] = unary(rpc, log, handler as Handler<unknown>, access);
  impl['ModelStreamInfer'] = createStreamInferHandler({ inference, log, ...(access ? { access } : {}) }) as handleBidiStreamingCall<unknown, unknown>;
  return impl;
}
