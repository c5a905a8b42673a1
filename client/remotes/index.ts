// The registry remote's public surface.
export * from './auth.js';
export * from './credentials.js';
export * from './digest.js';
export * from './errors.js';
export * from './fetcher.js';
export * from './hosts.js';
export * from './media.js';
export * from './platform.js';
export * from './pusher.js';
export * from './reference.js';
export * from './registry.js';
export * from './resolver.js';
export * from './transport.js';
export { type HttpResponse, type TlsOptions, TimeoutError } from './http.js';
