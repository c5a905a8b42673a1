import type { VersionServer } from '../../api/gen/containerd/services/version/v1/version.js';
import type { Edge } from '../server/grpc.js';

/** What Version answers. containerd-compatible API level with our own name in it (see README). */
export interface VersionInfo {
  version: string;
  revision: string;
}

export function versionService(edge: Edge, info: VersionInfo): VersionServer {
  return {
    version: edge.unary('Version', async () => info),
  };
}
