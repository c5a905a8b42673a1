// The Docker Engine API v1.41 as the API fuzzer sees it: a compact table written from the v1.41
// OpenAPI description (paths, methods, query parameters with their types, body shapes), not a copy
// of it. Endpoints that would reach outside this machine (image search, plugin install, build from a
// remote URL, import from a URL, registry login) are left out; `ids` says which pool fills the path
// parameter, so destructive calls only ever name objects the fuzzer created (or garbage).

export type Param = 'bool' | 'int' | 'string' | 'filters' | 'signal' | 'json';

/** What fills `{id}`/`{name}`: the fuzzer's own objects of that kind (plus garbage names). */
export type Pool = 'container' | 'image' | 'network' | 'volume' | 'exec' | 'swarm';

export type Body =
  | 'container-create'
  | 'container-update'
  | 'exec-create'
  | 'exec-start'
  | 'network-create'
  | 'network-connect'
  | 'volume-create'
  | 'commit-config'
  | 'tar'
  | 'build-context';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  query: Record<string, Param>;
  body?: Body;
  ids?: Pool;
  /** May stream without end (follow, stats, events, wait): the client stops reading after a while. */
  stream?: true;
  /** Documented 5xx answers of this endpoint (besides none): e.g. 500 when the runtime cannot start. */
  allow5xx?: readonly number[];
}

const ALL = 'bool';

export const ENDPOINTS: readonly Endpoint[] = [
  // System
  { method: 'GET', path: '/_ping', query: {} },
  { method: 'HEAD', path: '/_ping', query: {} },
  { method: 'GET', path: '/version', query: {} },
  { method: 'GET', path: '/info', query: {} },
  { method: 'GET', path: '/system/df', query: {} },
  {
    method: 'GET',
    path: '/events',
    query: { since: 'string', until: 'string', filters: 'filters' },
    stream: true,
  },
  // Containers
  {
    method: 'GET',
    path: '/containers/json',
    query: { all: ALL, limit: 'int', size: 'bool', filters: 'filters' },
  },
  {
    method: 'POST',
    path: '/containers/create',
    query: { name: 'string', platform: 'string' },
    body: 'container-create',
  },
  { method: 'GET', path: '/containers/{id}/json', query: { size: 'bool' }, ids: 'container' },
  { method: 'GET', path: '/containers/{id}/top', query: { ps_args: 'string' }, ids: 'container' },
  {
    method: 'GET',
    path: '/containers/{id}/logs',
    query: {
      follow: 'bool',
      stdout: 'bool',
      stderr: 'bool',
      since: 'string',
      until: 'string',
      timestamps: 'bool',
      tail: 'string',
    },
    ids: 'container',
    stream: true,
    // dockerd's documented answer for a container whose log driver keeps nothing to read (`none`).
    allow5xx: [501],
  },
  { method: 'GET', path: '/containers/{id}/changes', query: {}, ids: 'container' },
  { method: 'GET', path: '/containers/{id}/export', query: {}, ids: 'container' },
  {
    method: 'GET',
    path: '/containers/{id}/stats',
    query: { stream: 'bool', 'one-shot': 'bool' },
    ids: 'container',
    stream: true,
  },
  { method: 'POST', path: '/containers/{id}/resize', query: { h: 'int', w: 'int' }, ids: 'container' },
  {
    method: 'POST',
    path: '/containers/{id}/start',
    query: { detachKeys: 'string' },
    ids: 'container',
    allow5xx: [500],
  },
  { method: 'POST', path: '/containers/{id}/stop', query: { t: 'int' }, ids: 'container' },
  {
    method: 'POST',
    path: '/containers/{id}/restart',
    query: { t: 'int' },
    ids: 'container',
    allow5xx: [500],
  },
  { method: 'POST', path: '/containers/{id}/kill', query: { signal: 'signal' }, ids: 'container' },
  { method: 'POST', path: '/containers/{id}/update', query: {}, body: 'container-update', ids: 'container' },
  { method: 'POST', path: '/containers/{id}/rename', query: { name: 'string' }, ids: 'container' },
  { method: 'POST', path: '/containers/{id}/pause', query: {}, ids: 'container' },
  { method: 'POST', path: '/containers/{id}/unpause', query: {}, ids: 'container' },
  {
    method: 'POST',
    path: '/containers/{id}/wait',
    query: { condition: 'string' },
    ids: 'container',
    stream: true,
  },
  {
    method: 'DELETE',
    path: '/containers/{id}',
    query: { v: 'bool', force: 'bool', link: 'bool' },
    ids: 'container',
  },
  { method: 'HEAD', path: '/containers/{id}/archive', query: { path: 'string' }, ids: 'container' },
  { method: 'GET', path: '/containers/{id}/archive', query: { path: 'string' }, ids: 'container' },
  {
    method: 'PUT',
    path: '/containers/{id}/archive',
    query: { path: 'string', noOverwriteDirNonDir: 'string', copyUIDGID: 'string' },
    body: 'tar',
    ids: 'container',
  },
  { method: 'POST', path: '/containers/prune', query: { filters: 'filters' } },
  // Exec
  { method: 'POST', path: '/containers/{id}/exec', query: {}, body: 'exec-create', ids: 'container' },
  { method: 'POST', path: '/exec/{id}/start', query: {}, body: 'exec-start', ids: 'exec', allow5xx: [500] },
  { method: 'POST', path: '/exec/{id}/resize', query: { h: 'int', w: 'int' }, ids: 'exec' },
  { method: 'GET', path: '/exec/{id}/json', query: {}, ids: 'exec' },
  // Images
  { method: 'GET', path: '/images/json', query: { all: 'bool', filters: 'filters', digests: 'bool' } },
  {
    method: 'POST',
    path: '/build',
    query: {
      dockerfile: 'string',
      t: 'string',
      extrahosts: 'string',
      q: 'bool',
      nocache: 'bool',
      cachefrom: 'json',
      pull: 'string',
      rm: 'bool',
      forcerm: 'bool',
      memory: 'int',
      memswap: 'int',
      cpushares: 'int',
      cpusetcpus: 'string',
      cpuperiod: 'int',
      cpuquota: 'int',
      buildargs: 'json',
      shmsize: 'int',
      squash: 'bool',
      labels: 'json',
      networkmode: 'string',
      platform: 'string',
      target: 'string',
      outputs: 'string',
    },
    body: 'build-context',
  },
  { method: 'POST', path: '/build/prune', query: { 'keep-storage': 'int', all: 'bool', filters: 'filters' } },
  {
    method: 'POST',
    path: '/images/create',
    query: { fromImage: 'string', repo: 'string', tag: 'string', message: 'string', platform: 'string' },
  },
  { method: 'GET', path: '/images/{id}/json', query: {}, ids: 'image' },
  { method: 'GET', path: '/images/{id}/history', query: {}, ids: 'image' },
  { method: 'POST', path: '/images/{id}/push', query: { tag: 'string' }, ids: 'image' },
  { method: 'POST', path: '/images/{id}/tag', query: { repo: 'string', tag: 'string' }, ids: 'image' },
  { method: 'DELETE', path: '/images/{id}', query: { force: 'bool', noprune: 'bool' }, ids: 'image' },
  { method: 'POST', path: '/images/prune', query: { filters: 'filters' } },
  {
    method: 'POST',
    path: '/commit',
    query: {
      container: 'string',
      repo: 'string',
      tag: 'string',
      comment: 'string',
      author: 'string',
      pause: 'bool',
      changes: 'string',
    },
    body: 'commit-config',
  },
  { method: 'GET', path: '/images/{id}/get', query: {}, ids: 'image' },
  { method: 'GET', path: '/images/get', query: { names: 'string' } },
  { method: 'POST', path: '/images/load', query: { quiet: 'bool' }, body: 'tar' },
  { method: 'GET', path: '/distribution/{id}/json', query: {}, ids: 'image' },
  // Networks
  { method: 'GET', path: '/networks', query: { filters: 'filters' } },
  { method: 'GET', path: '/networks/{id}', query: { verbose: 'bool', scope: 'string' }, ids: 'network' },
  { method: 'DELETE', path: '/networks/{id}', query: {}, ids: 'network' },
  { method: 'POST', path: '/networks/create', query: {}, body: 'network-create' },
  { method: 'POST', path: '/networks/{id}/connect', query: {}, body: 'network-connect', ids: 'network' },
  { method: 'POST', path: '/networks/{id}/disconnect', query: {}, body: 'network-connect', ids: 'network' },
  { method: 'POST', path: '/networks/prune', query: { filters: 'filters' } },
  // Volumes
  { method: 'GET', path: '/volumes', query: { filters: 'filters' } },
  { method: 'POST', path: '/volumes/create', query: {}, body: 'volume-create' },
  { method: 'GET', path: '/volumes/{id}', query: {}, ids: 'volume' },
  { method: 'DELETE', path: '/volumes/{id}', query: { force: 'bool' }, ids: 'volume' },
  { method: 'POST', path: '/volumes/prune', query: { filters: 'filters' } },
  // Swarm and plugins (a single engine without swarm: 503 "not part of a swarm" is documented)
  ...(['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs'] as const).map((p): Endpoint => ({
    method: 'GET',
    path: p,
    query: { filters: 'filters' },
    allow5xx: [503],
  })),
  { method: 'GET', path: '/services/{id}', query: {}, ids: 'swarm', allow5xx: [503] },
  { method: 'GET', path: '/plugins', query: { filters: 'filters' } },
  { method: 'GET', path: '/plugins/{id}/json', query: {}, ids: 'swarm' },
];
