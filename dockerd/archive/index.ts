// The archive endpoints' building blocks (docker cp, export): HEAD/GET/PUT /containers/{id}/archive
// on a directory that is a container's root filesystem, confined to it. The tar code itself is
// pkg/archive's; what is here is Docker's layout and wording.
export { ArchiveError, type ArchiveErrorCode } from '../../pkg/archive/errors.js';
export { resolveInRoot, type ResolveOptions } from '../../pkg/archive/resolve.js';
export { couldNotFindMessage } from './errors.js';
export { extractInto, type ExtractOptions } from './extract.js';
export { packPath, type PackOptions } from './pack.js';
export {
  decodeStatHeader,
  encodeStatHeader,
  goFileMode,
  GoMode,
  goTime,
  type PathStat,
  statPath,
} from './stat.js';
