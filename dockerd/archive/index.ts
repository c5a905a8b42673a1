// The archive endpoints' building blocks (docker cp, export): HEAD/GET/PUT /containers/{id}/archive
// on a directory that is a container's root filesystem, confined to it.
export { ArchiveError, type ArchiveErrorCode, couldNotFindMessage } from './errors.js';
export { extractInto, type ExtractOptions } from './extract.js';
export { packPath, type PackOptions } from './pack.js';
export { resolveInRoot, type ResolveOptions } from './resolve.js';
export {
  decodeStatHeader,
  encodeStatHeader,
  goFileMode,
  GoMode,
  goTime,
  type PathStat,
  statPath,
} from './stat.js';
