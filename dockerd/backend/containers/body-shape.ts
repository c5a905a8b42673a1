// The JSON types of a create body, checked before anything reads it: dockerd decodes the body into Go
// structs, so a field of the wrong type ("User": 5, "CapAdd": [null], "Ulimits": "x") is a 400
// "json: cannot unmarshal …" there, never a crash further on. Unknown fields are ignored and null
// means "not set", as with Go's decoder; a null inside a list of objects or strings is refused here
// (Go would make it an empty value that later fails less clearly).
import { InvalidParameter } from '../../errdefs/index.js';

type Shape =
  | 'string'
  | 'bool'
  | 'int'
  | 'number'
  | 'any'
  | { list: Shape; goType?: string }
  | { map: Shape; goType?: string }
  | { fields: Record<string, Shape>; goType: string }
  /** Docker's StrSlice: a string or a list of strings. */
  | 'strslice';

const strings: Shape = { list: 'string' };
const strmap: Shape = { map: 'string' };
const object: Shape = { map: 'any', goType: 'struct {}' };

const health: Shape = {
  goType: 'container.HealthConfig',
  fields: {
    Test: strings,
    Interval: 'int',
    Timeout: 'int',
    Retries: 'int',
    StartPeriod: 'int',
    StartInterval: 'int',
  },
};

const config: Record<string, Shape> = {
  Hostname: 'string',
  Domainname: 'string',
  User: 'string',
  AttachStdin: 'bool',
  AttachStdout: 'bool',
  AttachStderr: 'bool',
  ExposedPorts: { map: object },
  Tty: 'bool',
  OpenStdin: 'bool',
  StdinOnce: 'bool',
  Env: strings,
  Cmd: 'strslice',
  Healthcheck: health,
  ArgsEscaped: 'bool',
  Image: 'string',
  Volumes: { map: object },
  WorkingDir: 'string',
  Entrypoint: 'strslice',
  NetworkDisabled: 'bool',
  MacAddress: 'string',
  OnBuild: strings,
  Labels: strmap,
  StopSignal: 'string',
  StopTimeout: 'int',
  Shell: 'strslice',
};

const mount: Shape = {
  goType: 'mount.Mount',
  fields: {
    Type: 'string',
    Source: 'string',
    Target: 'string',
    ReadOnly: 'bool',
    Consistency: 'string',
    BindOptions: { goType: 'mount.BindOptions', fields: { Propagation: 'string', NonRecursive: 'bool' } },
    VolumeOptions: {
      goType: 'mount.VolumeOptions',
      fields: {
        NoCopy: 'bool',
        Labels: strmap,
        DriverConfig: { goType: 'mount.Driver', fields: { Name: 'string', Options: strmap } },
      },
    },
    TmpfsOptions: { goType: 'mount.TmpfsOptions', fields: { SizeBytes: 'int', Mode: 'int' } },
  },
};

const hostConfig: Shape = {
  goType: 'container.HostConfig',
  fields: {
    Binds: strings,
    ContainerIDFile: 'string',
    LogConfig: { goType: 'container.LogConfig', fields: { Type: 'string', Config: strmap } },
    NetworkMode: 'string',
    PortBindings: {
      map: { list: { goType: 'nat.PortBinding', fields: { HostIp: 'string', HostPort: 'string' } } },
    },
    RestartPolicy: {
      goType: 'container.RestartPolicy',
      fields: { Name: 'string', MaximumRetryCount: 'int' },
    },
    AutoRemove: 'bool',
    VolumeDriver: 'string',
    VolumesFrom: strings,
    ConsoleSize: { list: 'int', goType: '[2]uint' },
    Annotations: strmap,
    CapAdd: 'strslice',
    CapDrop: 'strslice',
    CgroupnsMode: 'string',
    Dns: strings,
    DnsOptions: strings,
    DnsSearch: strings,
    ExtraHosts: strings,
    GroupAdd: strings,
    IpcMode: 'string',
    Cgroup: 'string',
    Links: strings,
    OomScoreAdj: 'int',
    PidMode: 'string',
    Privileged: 'bool',
    PublishAllPorts: 'bool',
    ReadonlyRootfs: 'bool',
    SecurityOpt: strings,
    StorageOpt: strmap,
    Tmpfs: strmap,
    UTSMode: 'string',
    UsernsMode: 'string',
    ShmSize: 'int',
    Sysctls: strmap,
    Runtime: 'string',
    Isolation: 'string',
    CpuShares: 'int',
    Memory: 'int',
    NanoCpus: 'int',
    CgroupParent: 'string',
    BlkioWeight: 'int',
    CpuPeriod: 'int',
    CpuQuota: 'int',
    CpuRealtimePeriod: 'int',
    CpuRealtimeRuntime: 'int',
    CpusetCpus: 'string',
    CpusetMems: 'string',
    Devices: {
      list: {
        goType: 'container.DeviceMapping',
        fields: { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' },
      },
    },
    MemoryReservation: 'int',
    MemorySwap: 'int',
    MemorySwappiness: 'int',
    OomKillDisable: 'bool',
    PidsLimit: 'int',
    Ulimits: { list: { goType: 'units.Ulimit', fields: { Name: 'string', Soft: 'int', Hard: 'int' } } },
    Mounts: { list: mount },
    Init: 'bool',
    MaskedPaths: strings,
    ReadonlyPaths: strings,
  },
};

const endpoint: Shape = {
  goType: 'network.EndpointSettings',
  fields: {
    IPAMConfig: {
      goType: 'network.EndpointIPAMConfig',
      fields: { IPv4Address: 'string', IPv6Address: 'string', LinkLocalIPs: strings },
    },
    Links: strings,
    Aliases: strings,
    DriverOpts: strmap,
    NetworkID: 'string',
    EndpointID: 'string',
    Gateway: 'string',
    IPAddress: 'string',
    IPPrefixLen: 'int',
    IPv6Gateway: 'string',
    GlobalIPv6Address: 'string',
    GlobalIPv6PrefixLen: 'int',
    MacAddress: 'string',
  },
};

const createBody: Shape = {
  goType: 'container.Config',
  fields: {
    ...config,
    HostConfig: hostConfig,
    NetworkingConfig: { goType: 'network.NetworkingConfig', fields: { EndpointsConfig: { map: endpoint } } },
  },
};

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function goTypeOf(s: Shape): string {
  if (typeof s === 'string') {
    return {
      string: 'string',
      bool: 'bool',
      int: 'int64',
      number: 'float64',
      any: 'interface {}',
      strslice: 'strslice.StrSlice',
    }[s];
  }
  if ('fields' in s) return s.goType;
  if ('list' in s) return s.goType ?? `[]${goTypeOf(s.list)}`;
  return s.goType ?? `map[string]${goTypeOf(s.map)}`;
}

function refuse(v: unknown, where: string, s: Shape): never {
  const shown = typeof v === 'number' ? `number ${v}` : jsonKind(v);
  throw new InvalidParameter(
    `json: cannot unmarshal ${shown} into Go struct field ${where} of type ${goTypeOf(s)}`,
  );
}

/** `top`: null is "not set" there; inside lists, null is refused. */
function check(v: unknown, s: Shape, where: string, top: boolean): void {
  if (v === null || v === undefined) {
    if (top || s === 'any') return;
    refuse(v, where, s);
  }
  if (s === 'any') return;
  if (s === 'string' || s === 'bool' || s === 'number') {
    if (jsonKind(v) !== (s === 'number' ? 'number' : s)) refuse(v, where, s);
    return;
  }
  if (s === 'int') {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) refuse(v, where, s);
    return;
  }
  if (s === 'strslice') {
    if (typeof v === 'string') return;
    if (!Array.isArray(v)) refuse(v, where, s);
    for (const x of v) if (typeof x !== 'string') refuse(x, where, 'string');
    return;
  }
  if ('list' in s) {
    if (!Array.isArray(v)) refuse(v, where, s);
    for (const x of v) check(x, s.list, where, false);
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) refuse(v, where, s);
  const o = v as Record<string, unknown>;
  if ('map' in s) {
    for (const k of Object.keys(o)) check(o[k], s.map, where, s.map === 'any');
    return;
  }
  for (const [k, fs] of Object.entries(s.fields)) {
    if (Object.hasOwn(o, k)) check(o[k], fs, `${s.goType.split('.').pop()}.${k}`, true);
  }
}

/** Throws InvalidParameter (400) when a field of `body` has a JSON type dockerd could not decode. */
export function checkBodyShape(body: unknown): void {
  check(body, createBody, 'container.Config', true);
}
