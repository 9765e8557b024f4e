/** The gRPC transport: what the composition root needs. */
export { createGrpcServer, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SHUTDOWN_GRACE_MS } from './grpc-server.js';
export type { GrpcServer, GrpcServerOptions } from './grpc-server.js';
export { ERROR_CODE_METADATA_KEY, ERROR_FIELD_METADATA_KEY } from './status.js';
