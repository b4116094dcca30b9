/**
 * The KServe v2 gRPC front-end, wire-compatible with Triton's `inference.GRPCInferenceService`.
 */
export {
  startGrpcServer,
  grpcServerOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_CLOSE_GRACE_MS,
  type GrpcServerOptions,
  type GrpcServerHandle,
  type GrpcKeepaliveOptions,
} from './grpc-server.js';
export type { GrpcLogger } from './grpc-logger.js';
export { loadInferencePackage, protoDir, PROTO_LOADER_OPTIONS, SERVICE_NAME } from './proto-loader.js';
export { GrpcAccessControl, RPC_GROUPS, type GrpcAccessOptions } from './access-control.js';
