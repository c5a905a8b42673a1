// A small ttrpc (containerd/ttrpc v1.1 wire protocol, unary only) for the daemon and the shim.
// Imports nothing but node built-ins, api/errdefs.ts and api/gen.

export { TtrpcClient, socketPath } from './client.js';
export type { CallOptions, ConnectOptions, ServiceClient } from './client.js';
export { TtrpcServer } from './server.js';
export type { CallContext, CloseOptions, Handler, ServerOptions, ServiceImplementation } from './server.js';
export { NAMESPACE_KEY, namespaceOf } from './metadata.js';
export type { Metadata, MetadataInit } from './metadata.js';
export { HEADER_LENGTH, MESSAGE_LENGTH_MAX, MessageType } from './frame.js';
export { Code, statusOf } from './status.js';
export type { RequestOf, ResponseOf, ServiceDefinition, UnaryMethod } from './service.js';
