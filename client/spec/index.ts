// The default OCI runtime spec and the options that shape it: the public surface.
export * from './caps.js';
export * from './default.js';
export * from './devices.js';
export * from './opts.js';
export * from './opts-linux.js';
export * from './opts-user.js';
export * from './types.js';
export * from './users.js';
