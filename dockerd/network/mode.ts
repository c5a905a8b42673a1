// How a container's HostConfig.NetworkMode reads: the host's namespace, another container's, or a
// sandbox of its own attached to a named network.
export type NetworkMode =
  { kind: 'host' } | { kind: 'container'; ref: string } | { kind: 'sandbox'; network: string };

export function parseNetworkMode(mode: string | undefined): NetworkMode {
  const m = mode || 'default';
  if (m === 'host') return { kind: 'host' };
  if (m.startsWith('container:')) return { kind: 'container', ref: m.slice('container:'.length) };
  return { kind: 'sandbox', network: m === 'default' ? 'bridge' : m };
}
