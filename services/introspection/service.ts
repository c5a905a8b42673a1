import type {
  IntrospectionServer,
  Plugin,
} from '../../api/gen/containerd/services/introspection/v1/introspection.js';
import { adapt, parseFilters } from '../filters/index.js';
import type { Edge } from '../server/grpc.js';

export interface PluginInfo {
  type: string;
  id: string;
  requires?: string[];
  capabilities?: string[];
  exports?: Record<string, string>;
}

/** Introspection: the server UUID and the plugins tsctrd really runs. */
export function introspectionService(
  edge: Edge,
  uuid: string,
  plugins: () => PluginInfo[],
): IntrospectionServer {
  const platform = {
    os: 'linux',
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    variant: '',
  };
  return {
    server: edge.unary('Server', async () => ({ uuid })),
    plugins: edge.unary('Plugins', async (req) => {
      const filter = parseFilters(req.filters);
      const out: Plugin[] = [];
      for (const p of plugins()) {
        const caps = p.capabilities ?? [];
        const fields = adapt({
          type: p.type,
          id: p.id,
          capabilities: (path) => (caps.includes(path.join('.')) ? path.join('.') : undefined),
        });
        if (!filter.match(fields)) continue;
        out.push({
          type: p.type,
          id: p.id,
          requires: p.requires ?? [],
          platforms: p.type.includes('snapshotter') || p.type.includes('runtime') ? [platform] : [],
          exports: p.exports ?? {},
          capabilities: caps,
          initErr: undefined,
        });
      }
      return { plugins: out };
    }),
  };
}
