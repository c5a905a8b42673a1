// Requests for the API fuzzer: an endpoint of spec.ts, its path parameter from the fuzzer's own
// objects (or garbage that can match nothing: it has a non-hex letter and a prefix no name of ours
// has), query values valid, odd or hostile, bodies valid then mutated (mutate.ts), headers odd at
// times. Every JSON body is then made safe (`sanitize`): whatever the mutation did, a container has no
// network, no privilege, no host namespace or device, binds only under the fuzzer's temp dir, and runs
// a harmless command; images only come from the local test registry.
import { mutateBytes, mutateJson } from '../mutate.js';
import type { Rng } from '../../rng.js';
import type { Body, Endpoint, Param, Pool } from './spec.js';

export interface World {
  /** The busybox test image in the local registry (never deleted: not in the image pool). */
  ref: string;
  /** host:port of the local registry. */
  registry: string;
  /** The only host directory binds may name. */
  tmp: string;
  pools: Record<Pool, string[]>;
  /** A build context (Dockerfile FROM ref) and a small tar. */
  context: Buffer;
  tar: Buffer;
}

export interface Request {
  ep: Endpoint;
  head: string;
  body: Buffer;
  /** Values to record in a pool when the request succeeds. */
  adds?: { pool: Pool; name: string };
  /** The request's framing is broken on purpose (the daemon may wait for more, or close). */
  brokenFraming: boolean;
}

const STRINGS = [
  '',
  'a',
  'fz',
  '..',
  '../../etc/passwd',
  '/',
  '%00',
  '\u00e9\u4e2d',
  ' ',
  '-1',
  'null',
  '{}',
  '[]',
  '*',
  'a'.repeat(300),
  'x'.repeat(70_000),
  'sha256:',
  'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'linux/amd64',
  'windows',
  'label=a',
  'name=fz',
];
const BOOLS = ['1', '0', 'true', 'false', '', 'yes', '2', '-1', 'TRUE'];
const INTS = [
  '0',
  '1',
  '-1',
  '10',
  '4294967296',
  '99999999999999999999',
  '1.5',
  'abc',
  '',
  '0x10',
  '1e3',
  '-9e99',
];
const SIGNALS = ['SIGTERM', 'TERM', '9', '0', '999', '-1', 'SIGFOO', 'SIGKILL', 'sigusr1', 'RTMIN+3', ''];
const FILTERS = [
  '{"label":["a=b"]}',
  '{"status":["running"]}',
  '{"status":{"running":true}}',
  '{"name":["fz"]}',
  '{"id":[""]}',
  '{"before":["fz-missing"]}',
  '{"until":["10m"]}',
  '{"until":["nonsense"]}',
  '{"dangling":["maybe"]}',
  '{"reference":["[[["]}',
  '{"x":1}',
  '{',
  '[]',
  'null',
  '{"label":null}',
  '{"label":[1,2]}',
];
const JSONS = ['{"A":"b"}', '[]', '{', '["x"]', '{"a":null}', 'null', '"s"', '{"a":{"b":1}}'];

/** Names no object of the daemon can have (nor prefix-match: a non-hex letter in front). */
function garbageName(rng: Rng): string {
  return rng.pick([
    'fz-missing',
    'zz',
    'fz-missing/../x',
    'fz missing',
    'fz-%2F',
    'fz-\u00e9',
    'z'.repeat(200),
  ]);
}

function value(rng: Rng, p: Param): string {
  switch (p) {
    case 'bool':
      return rng.pick(BOOLS);
    case 'int':
      return rng.pick(INTS);
    case 'signal':
      return rng.pick(SIGNALS);
    case 'filters':
      return rng.pick(FILTERS);
    case 'json':
      return rng.pick(JSONS);
    case 'string':
      return rng.pick(STRINGS);
  }
}

/** Keys a mutated body may not keep, at any depth, in any case (Go's JSON matches keys so). */
const DENY = new Set(
  [
    'Privileged',
    'Binds',
    'Mounts',
    'Devices',
    'DeviceRequests',
    'DeviceCgroupRules',
    'CapAdd',
    'NetworkMode',
    'NetworkingConfig',
    'PidMode',
    'IpcMode',
    'UTSMode',
    'UsernsMode',
    'CgroupnsMode',
    'SecurityOpt',
    'Sysctls',
    'VolumesFrom',
    'VolumeDriver',
    'Runtime',
    'CgroupParent',
    'Cmd',
    'Entrypoint',
    'Image',
    'PortBindings',
    'PublishAllPorts',
    'ExposedPorts',
    'Links',
    'Dns',
    'MaskedPaths',
    'ReadonlyPaths',
    'Options',
    'IPAM',
    'Driver',
    'DriverOpts',
    'ConfigFrom',
    'Ingress',
    'EnableIPv6',
    'Internal',
    'Container',
    'Detach',
  ].map((k) => k.toLowerCase()),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function strip(v: Json): Json {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) if (!DENY.has(k.toLowerCase())) out[k] = strip(x);
    return out;
  }
  return v;
}

const SAFE_CMDS: Json[] = [
  ['true'],
  ['sleep', '1'],
  ['sh', '-c', 'echo fz; echo fz >&2'],
  ['false'],
  ['fz-nonexistent'],
];

/** The safe form of a (possibly mutated) JSON body; undefined when it is not a JSON object. */
export function sanitize(kind: Body, text: string, rng: Rng, w: World): Json | undefined {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const out = strip(doc) as { [k: string]: Json };
  switch (kind) {
    case 'container-create': {
      out.Image = rng.pick([
        w.ref,
        w.ref,
        `${w.registry}/fz-missing:1`,
        'fz-missing@sha256:' + '0'.repeat(64),
      ]);
      out.Cmd = rng.pick(SAFE_CMDS);
      const hc = (
        out.HostConfig && typeof out.HostConfig === 'object' && !Array.isArray(out.HostConfig)
          ? out.HostConfig
          : {}
      ) as { [k: string]: Json };
      hc.NetworkMode = 'none';
      // A log driver that ships logs elsewhere (gelf, syslog, fluentd) would send traffic out.
      const lc =
        hc.LogConfig && typeof hc.LogConfig === 'object' && !Array.isArray(hc.LogConfig) ? hc.LogConfig : {};
      hc.LogConfig = {
        Type: rng.pick(['json-file', 'json-file', 'local', 'none', 'fz-nodriver']),
        Config: lc.Config ?? null,
      };
      if (rng.int(3) === 0)
        hc.Binds = [`${w.tmp}/b:${rng.pick(['/mnt', '/ro:ro', '/mnt:rw,z', 'relative', '/', '/mnt:bogus'])}`];
      out.HostConfig = hc;
      break;
    }
    case 'container-update':
    case 'commit-config':
    case 'volume-create':
      if (kind === 'volume-create') out.Driver = rng.pick(['local', 'local', 'fz-nodriver']);
      if (kind === 'commit-config' && rng.bool()) out.Cmd = rng.pick(SAFE_CMDS);
      break;
    case 'exec-create':
      out.Cmd = rng.pick(SAFE_CMDS);
      break;
    case 'exec-start':
      out.Detach = rng.int(4) !== 0;
      break;
    case 'network-create':
      out.Driver = rng.pick(['bridge', 'bridge', 'fz-nodriver']);
      out.Internal = true;
      break;
    case 'network-connect':
      out.Container = w.pools.container.length ? rng.pick(w.pools.container) : garbageName(rng);
      break;
    default:
      break;
  }
  return out;
}

let counter = 0;

function baseBody(kind: Body, w: World): Json {
  const n = ++counter;
  switch (kind) {
    case 'container-create':
      return {
        Image: w.ref,
        Cmd: ['true'],
        Env: ['A=b', 'PATH=/bin'],
        Labels: { fz: String(n) },
        WorkingDir: '/',
        User: '0',
        StopSignal: 'SIGTERM',
        StopTimeout: 1,
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000 },
        HostConfig: {
          Memory: 64 << 20,
          CpuShares: 512,
          PidsLimit: 64,
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
          RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
          Tmpfs: { '/run': 'size=1m' },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
          ReadonlyRootfs: false,
          AutoRemove: false,
          Init: false,
          ShmSize: 1 << 20,
        },
      };
    case 'container-update':
      return {
        Memory: 64 << 20,
        CpuShares: 256,
        PidsLimit: 100,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 },
      };
    case 'exec-create':
      return {
        Cmd: ['true'],
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: ['X=1'],
        User: '',
        WorkingDir: '/',
      };
    case 'exec-start':
      return { Detach: true, Tty: false };
    case 'network-create':
      return { Name: `fz-net-${n}`, Driver: 'bridge', Internal: true, Attachable: true, Labels: { fz: '1' } };
    case 'network-connect':
      return { Container: '', EndpointConfig: { Aliases: ['fz'] }, Force: false };
    case 'volume-create':
      return { Name: `fz-vol-${n}`, Driver: 'local', Labels: { fz: '1' } };
    case 'commit-config':
      return { Env: ['C=1'], Labels: { fz: 'commit' }, Cmd: ['true'] };
    case 'tar':
    case 'build-context':
      return null;
  }
}

const JSON_WORDS = [
  'Memory',
  'Env',
  'Labels',
  'HostConfig',
  'Name',
  'Healthcheck',
  'Tmpfs',
  'Ulimits',
  '-1',
  'null',
  '1e308',
];

function bodyOf(kind: Body, rng: Rng, w: World): Buffer {
  if (kind === 'tar' || kind === 'build-context') {
    const base = kind === 'tar' ? w.tar : w.context;
    // A mutated tar could name `../x`: only the committed tar or garbage that is no tar.
    if (kind === 'tar') return rng.int(3) === 0 ? Buffer.from('not a tar') : base;
    // A build context whose Dockerfile names another image could pull from anywhere: only the
    // committed context, or garbage that is no tar at all.
    if (kind === 'build-context') return rng.int(4) === 0 ? Buffer.from('not a tar') : base;
    return base;
  }
  const valid = Buffer.from(JSON.stringify(baseBody(kind, w)));
  const r = rng.int(10);
  const mutated =
    r < 3
      ? valid
      : r < 8
        ? mutateJson(rng, valid, { maxLen: 8192, dict: [] }, JSON_WORDS)
        : mutateBytes(rng, valid, { maxLen: 8192, dict: [] });
  const safe = sanitize(kind, mutated.toString('utf8'), rng, w);
  // Not JSON: the daemon refuses it as such (it parses with the same JSON.parse), so it goes as is.
  return safe === undefined ? mutated : Buffer.from(JSON.stringify(safe));
}

function idFor(ep: Endpoint, rng: Rng, w: World): string {
  const pool = w.pools[ep.ids!];
  if (ep.ids === 'image' && /push|distribution/.test(ep.path)) {
    // Those reach the image's registry: only ours.
    const local = pool.filter((n) => n.startsWith(`${w.registry}/`));
    return rng.int(4) === 0 || local.length === 0 ? `${w.registry}/fz-missing:1` : rng.pick(local);
  }
  if (ep.ids === 'image' && ep.method !== 'DELETE' && rng.int(3) === 0) return w.ref;
  return pool.length > 0 && rng.int(5) !== 0 ? rng.pick(pool) : garbageName(rng);
}

function encodeSeg(s: string, rng: Rng): string {
  return rng.int(6) === 0 ? s.replace(/ /g, '%20') : encodeURIComponent(s);
}

export function generate(rng: Rng, eps: readonly Endpoint[], w: World): Request {
  const ep = rng.pick(eps);
  let p = ep.path;
  let adds: Request['adds'];
  if (ep.ids) p = p.replace('{id}', encodeSeg(idFor(ep, rng, w), rng));
  const q: Array<[string, string]> = [];
  for (const [k, t] of Object.entries(ep.query)) if (rng.int(3) === 0) q.push([k, value(rng, t)]);
  if (rng.int(20) === 0) q.push([rng.pick(['fz', 'all', 'filters', '']), rng.pick(STRINGS)]);
  // Values that decide where traffic goes or what is deleted are confined.
  const set = (k: string, v: string) => {
    const i = q.findIndex(([n]) => n === k);
    if (i >= 0) q[i] = [k, v];
    else q.push([k, v]);
  };
  if (ep.path === '/images/create') {
    set(
      'fromImage',
      rng.pick([
        w.ref,
        `${w.registry}/busybox`,
        `${w.registry}/fz-missing`,
        `${w.registry}/busybox@sha256:${'0'.repeat(64)}`,
      ]),
    );
    for (const k of ['repo', 'message']) if (q.some(([n]) => n === k)) set(k, rng.pick(STRINGS));
  }
  if (ep.path === '/images/{id}/tag' || ep.path === '/commit') {
    const repo = rng.int(4) === 0 ? rng.pick(STRINGS) : `${w.registry}/fz-tag${++counter}`;
    set('repo', repo);
    if (ep.path === '/commit')
      set(
        'container',
        w.pools.container.length && rng.int(4) ? rng.pick(w.pools.container) : garbageName(rng),
      );
    const tag = q.find(([n]) => n === 'tag')?.[1];
    if (repo.startsWith(w.registry)) adds = { pool: 'image', name: tag ? `${repo}:${tag}` : repo };
  }
  if (ep.path === '/build') {
    set('networkmode', rng.pick(['none', 'default', 'bridge', 'fz-missing', '']));
    if (q.some(([n]) => n === 't'))
      set('t', rng.int(3) ? `${w.registry}/fz-build${++counter}` : rng.pick(STRINGS));
  }
  if (ep.path === '/containers/{id}/archive' && ep.method === 'PUT')
    // Extraction into a container is covered by the tar-extract target; here only plain targets.
    set('path', rng.pick(['/', '/tmp', 'tmp', '/mnt', '/nonexistent', '/bin/sh', '']));
  if (ep.path === '/images/prune')
    set('filters', rng.pick(['{"dangling":["true"]}', '{"dangling":["maybe"]}', '{', '{"label":["fz"]}']));
  if (ep.path === '/images/get' && q.some(([n]) => n === 'names'))
    set('names', rng.pick([w.ref, 'fz-missing', '']));
  const version = rng.pick(['/v1.41', '/v1.41', '/v1.41', '', '/v1.12', '/v9.99', '/v1.24', '/vx']);
  const qs = q
    .map(([k, v]) => `${encodeURIComponent(k)}=${rng.int(10) === 0 ? v : encodeURIComponent(v)}`)
    .join('&');
  const target = `${version}${p}${qs ? `?${qs}` : ''}`;
  const body = ep.body
    ? bodyOf(ep.body, rng, w)
    : rng.int(30) === 0
      ? Buffer.from('{"unexpected":1}')
      : Buffer.alloc(0);
  if (ep.body === 'container-create') {
    const name = q.find(([n]) => n === 'name');
    if (name) name[1] = rng.int(3) ? `fz-c${++counter}` : name[1];
  }
  const headers = [`Host: ${rng.int(20) === 0 ? '' : 'docker'}`, 'Connection: close'];
  const ct = ep.body === 'tar' || ep.body === 'build-context' ? 'application/x-tar' : 'application/json';
  if (body.length > 0 || rng.int(4) === 0)
    headers.push(
      `Content-Type: ${rng.int(10) === 0 ? rng.pick(['text/plain', '', 'application/json; charset=utf-16', 'multipart/form-data']) : ct}`,
    );
  if (rng.int(8) === 0)
    headers.push(
      `X-Registry-Auth: ${rng.pick(['e30=', '!!!', 'eyJ1c2VybmFtZSI6MX0=', Buffer.from('{"username":"fz","password":"p"}').toString('base64')])}`,
    );
  if (ep.path === '/build' && rng.int(6) === 0)
    headers.push(`X-Registry-Config: ${rng.pick(['e30=', '!!!', 'bnVsbA=='])}`);
  let brokenFraming = false;
  const f = rng.int(40);
  if (f === 0) {
    headers.push(`Content-Length: ${body.length + 10}`);
    brokenFraming = true;
  } else if (f === 1) {
    headers.push('Transfer-Encoding: chunked');
    brokenFraming = true;
  } else if (f === 2) {
    headers.push('Expect: 100-continue', `Content-Length: ${body.length}`);
  } else headers.push(`Content-Length: ${body.length}`);
  if (rng.int(50) === 0) headers.push(`X-Fz: ${'h'.repeat(rng.pick([10, 9000, 20_000]))}`);
  const head = `${ep.method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
  return { ep, head, body, adds, brokenFraming };
}
