// The Docker create body's validation (dockerd/backend/containers/create.ts and the OCI spec built
// from it, dockerd/backend/spec.ts): any JSON body is either refused with a typed error (a 400) or
// turned into a spec; a TypeError or other untyped error would be a 500. Structure-aware mutations.
import path from 'node:path';
import type { UserDb } from '../../../client/spec/users.js';
import { checkConfig, mergeEnv, normalizeHostConfig } from '../../../dockerd/backend/containers/create.js';
import { checkHostOptions } from '../../../dockerd/backend/host-options.js';
import { checkBody, containerCreateBody } from '../../../dockerd/wire/body-schema.js';
import { buildSpec } from '../../../dockerd/backend/spec.js';
import { type ContainerRecord, type CreateBody, createdState } from '../../../dockerd/backend/types.js';
import { InvalidParameter } from '../../../dockerd/errdefs/index.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

const WORDS = [
  'Image',
  'Cmd',
  'Entrypoint',
  'Env',
  'Labels',
  'User',
  'WorkingDir',
  'Tty',
  'Healthcheck',
  'Test',
  'Interval',
  'Timeout',
  'Retries',
  'StartPeriod',
  'StopSignal',
  'StopTimeout',
  'ExposedPorts',
  'Volumes',
  'HostConfig',
  'RestartPolicy',
  'Name',
  'MaximumRetryCount',
  'AutoRemove',
  'LogConfig',
  'Type',
  'Config',
  'max-size',
  'max-file',
  'compress',
  'json-file',
  'none',
  'local',
  'Memory',
  'MemorySwap',
  'NanoCpus',
  'CpuShares',
  'CpuQuota',
  'CpuPeriod',
  'PidsLimit',
  'Ulimits',
  'Soft',
  'Hard',
  'nofile',
  'Sysctls',
  'net.ipv4.ip_forward',
  'CapAdd',
  'CapDrop',
  'ALL',
  'NET_ADMIN',
  'Privileged',
  'ReadonlyRootfs',
  'GroupAdd',
  'OomScoreAdj',
  'ShmSize',
  'PidMode',
  'IpcMode',
  'UTSMode',
  'host',
  'NetworkMode',
  'Binds',
  'Mounts',
  'Tmpfs',
  'PortBindings',
  'HostPort',
  'HostIp',
  'Init',
  'Runtime',
  'runc',
  'always',
  'on-failure',
  'unless-stopped',
  'no',
  'VolumesFrom',
  'Dns',
  'ExtraHosts',
  'ConsoleSize',
  '10m',
  '3',
];

const USERS: UserDb = {
  passwd: [
    { name: 'root', pass: 'x', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh' },
    { name: 'app', pass: 'x', uid: 1000, gid: 1000, gecos: '', home: '/home/app', shell: '/bin/sh' },
  ],
  group: [
    { name: 'root', pass: 'x', gid: 0, members: [] },
    { name: 'staff', pass: 'x', gid: 50, members: ['app'] },
  ],
};

/** Unknown users and groups fail as they do in dockerd (when the container starts: a 500 there too). */
function userLookup(err: unknown): boolean {
  return err instanceof Error && /^unable to find (user|group)|^invalid USER value/.test(err.message);
}

export function createBodyTarget(): FuzzTarget {
  return {
    name: 'create-body',
    maxLen: 8192,
    json: WORDS,
    expected: (err) => typedRefusal(err) || userLookup(err),
    async run(data) {
      let body: CreateBody;
      try {
        body = JSON.parse(data.toString('utf8')) as CreateBody;
      } catch {
        return; // the HTTP layer answers 400 for JSON that does not parse
      }
      // As the route: a body that is not an object is refused there.
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
      // As the HTTP edge: the body's JSON types are checked against the route's shape first.
      checkBody(body, containerCreateBody);
      checkConfig(body);
      const hc = normalizeHostConfig(body.HostConfig);
      checkHostOptions(body, hc, () => true);
      const env = mergeEnv(['PATH=/bin', 'A=1'], body.Env ?? null);
      if (!env.some((e) => e.startsWith('PATH='))) throw new Violation('no PATH in the merged env');
      const id = 'f'.repeat(64);
      const rec = {
        Id: id,
        Name: '/fuzz',
        Created: new Date(0).toISOString(),
        Path: '/bin/sh',
        Args: [],
        Config: { ...body, Env: env, Labels: body.Labels ?? {} },
        HostConfig: hc,
        NetworkingConfig: {},
        Image: 'sha256:' + '0'.repeat(64),
        State: createdState(),
        RestartCount: 0,
        Mounts: [],
        ManuallyStopped: false,
        HasBeenStarted: false,
        LogPath: path.join('/nonexistent', `${id}-json.log`),
        HostnamePath: '',
        HostsPath: '',
        ResolvConfPath: '',
      } as unknown as ContainerRecord;
      const spec = await buildSpec({ rec, image: {}, users: USERS });
      // What goes to runc must be JSON runc can read: numbers finite, no undefined holes in lists.
      const text = JSON.stringify(spec);
      if (/null,|,null|\[null/.test(JSON.stringify(spec.process?.rlimits ?? [])))
        throw new InvalidParameter('rlimits with holes');
      if (text.includes('NaN')) throw new Violation('NaN in the spec');
    },
  };
}
