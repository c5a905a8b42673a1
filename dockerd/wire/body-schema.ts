// The shapes of the JSON request bodies, as the Go types dockerd decodes them into. The server checks
// a route's body against its shape before the handler runs (dockerd/http/server.ts), so a body that is
// not JSON, or whose fields have the wrong JSON types, is a 400 on every endpoint, never half-applied.
// Messages follow Go's encoding/json ("json: cannot unmarshal number into Go struct field …").
import { InvalidParameter } from '../errdefs/index.js';

/** A JSON value's kind. `int` is an integral number; `strslice` Docker's StrSlice (string or []string). */
export type Scalar = 'string' | 'bool' | 'int' | 'number' | 'strslice' | 'any';

export interface StructShape {
  kind: 'struct';
  /** Go type name, e.g. `container.HostConfig`. */
  type: string;
  fields: Record<string, Shape>;
}

export type Shape = Scalar | StructShape | { kind: 'array'; of: Shape } | { kind: 'map'; of: Shape };

export interface BodySchema {
  shape: StructShape;
  /** An empty body is refused (Go's decoder sees EOF). */
  required?: boolean;
  /** dockerd's CheckForJSON applies: a body must come as `application/json`. */
  jsonOnly?: boolean;
}

/**
 * httputils.CheckForJSON: no Content-Type is fine without a body; otherwise the media type must be
 * application/json (parameters such as charset allowed).
 */
export function checkContentType(contentType: string | undefined, hasBody: boolean): void {
  const ct = contentType ?? '';
  if (ct === '' && !hasBody) return;
  const media = ct.split(';')[0].trim().toLowerCase();
  if (media === 'application/json') return;
  throw new InvalidParameter(`Content-Type specified (${ct}) must be 'application/json'`);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function goType(s: Shape): string {
  if (typeof s === 'string') {
    switch (s) {
      case 'int':
        return 'int64';
      case 'number':
        return 'float64';
      case 'strslice':
        return 'strslice.StrSlice';
      case 'any':
        return 'interface {}';
      default:
        return s;
    }
  }
  if (s.kind === 'struct') return s.type;
  if (s.kind === 'array') return `[]${goType(s.of)}`;
  return `map[string]${goType(s.of)}`;
}

const shortName = (type: string): string => type.slice(type.lastIndexOf('.') + 1);

class Mismatch extends Error {
  constructor(
    readonly value: unknown,
    readonly shape: Shape,
    readonly struct: string,
    readonly path: string[],
  ) {
    super('mismatch');
  }
}

function scalarMatches(v: unknown, s: Scalar): boolean {
  switch (s) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'strslice':
      return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'any':
      return true;
  }
}

/** Walks `v` against `s`; `struct`/`path` name the innermost struct and the field path for messages. */
function walk(v: unknown, s: Shape, struct: string, path: string[]): void {
  // null is every Go type's zero value (pointers, slices, maps; scalars keep their value).
  if (v === null) return;
  if (typeof s === 'string') {
    if (!scalarMatches(v, s)) throw new Mismatch(v, s, struct, path);
    return;
  }
  switch (s.kind) {
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new Mismatch(v, s, struct, path);
      const own = shortName(s.type);
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        // Go matches field names case-insensitively; unknown fields are ignored.
        const name = Object.keys(s.fields).find((f) => f.toLowerCase() === k.toLowerCase());
        if (name) walk(val, s.fields[name], own, [...path, name]);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(v)) throw new Mismatch(v, s, struct, path);
      for (const x of v) {
        // Go would make a null element a zero value ("" or a nil pointer) that fails later, less
        // clearly (or crashes): refused here, in the same words as a wrong type.
        if (x === null && s.of !== 'any') throw new Mismatch(x, s.of, struct, path);
        walk(x, s.of, struct, path);
      }
      return;
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) throw new Mismatch(v, s, struct, path);
      for (const x of Object.values(v as Record<string, unknown>)) walk(x, s.of, struct, path);
      return;
  }
}

/** Throws InvalidParameter (400) with Go's wording unless `body` (parsed JSON, undefined if empty) fits `schema`. */
export function checkBody(body: unknown, schema: BodySchema): void {
  const top = schema.shape;
  // No body (optional ones), or null: Go leaves the value at zero.
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InvalidParameter(`json: cannot unmarshal ${jsonType(body)} into Go value of type ${top.type}`);
  try {
    walk(body, top, shortName(top.type), []);
  } catch (err) {
    if (!(err instanceof Mismatch)) throw err;
    // Go names the value only when a number does not fit an integer type ("number 1.5").
    const what =
      typeof err.value === 'number' && err.shape === 'int'
        ? `number ${String(err.value)}`
        : jsonType(err.value);
    throw new InvalidParameter(
      `json: cannot unmarshal ${what} into Go struct field ${err.struct}.${err.path.join('.')} ` +
        `of type ${goType(err.shape)}`,
    );
  }
}

// ---- shapes --------------------------------------------------------------------------------------

const str = 'string' as const;
const bool = 'bool' as const;
const int = 'int' as const;
const strs: Shape = { kind: 'array', of: str };
const strMap: Shape = { kind: 'map', of: str };
const set: Shape = { kind: 'map', of: { kind: 'struct', type: 'struct {}', fields: {} } };
const struct = (type: string, fields: Record<string, Shape>): StructShape => ({
  kind: 'struct',
  type,
  fields,
});
const arrayOf = (of: Shape): Shape => ({ kind: 'array', of });
const mapOf = (of: Shape): Shape => ({ kind: 'map', of });

const healthConfig = struct('container.HealthConfig', {
  Test: strs,
  Interval: int,
  Timeout: int,
  StartPeriod: int,
  Retries: int,
});

const containerConfigFields: Record<string, Shape> = {
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ExposedPorts: set,
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strs,
  Cmd: 'strslice',
  Healthcheck: healthConfig,
  ArgsEscaped: bool,
  Image: str,
  Volumes: set,
  WorkingDir: str,
  Entrypoint: 'strslice',
  NetworkDisabled: bool,
  MacAddress: str,
  OnBuild: strs,
  Labels: strMap,
  StopSignal: str,
  StopTimeout: int,
  Shell: 'strslice',
};

const restartPolicy = struct('container.RestartPolicy', { Name: str, MaximumRetryCount: int });
const portBinding = struct('nat.PortBinding', { HostIp: str, HostPort: str });
const ulimit = struct('units.Ulimit', { Name: str, Hard: int, Soft: int });
const device = struct('container.DeviceMapping', {
  PathOnHost: str,
  PathInContainer: str,
  CgroupPermissions: str,
});
const weightDevice = struct('blkiodev.WeightDevice', { Path: str, Weight: int });
const throttleDevice = struct('blkiodev.ThrottleDevice', { Path: str, Rate: int });
const mountSpec = struct('mount.Mount', {
  Type: str,
  Source: str,
  Target: str,
  ReadOnly: bool,
  Consistency: str,
  BindOptions: struct('mount.BindOptions', { Propagation: str, NonRecursive: bool }),
  VolumeOptions: struct('mount.VolumeOptions', {
    NoCopy: bool,
    Labels: strMap,
    DriverConfig: struct('mount.Driver', { Name: str, Options: strMap }),
  }),
  TmpfsOptions: struct('mount.TmpfsOptions', { SizeBytes: int, Mode: int }),
});

/** container.Resources: shared by HostConfig and the update body. */
const resourceFields: Record<string, Shape> = {
  CpuShares: int,
  Memory: int,
  NanoCpus: int,
  CgroupParent: str,
  BlkioWeight: int,
  BlkioWeightDevice: arrayOf(weightDevice),
  BlkioDeviceReadBps: arrayOf(throttleDevice),
  BlkioDeviceWriteBps: arrayOf(throttleDevice),
  BlkioDeviceReadIOps: arrayOf(throttleDevice),
  BlkioDeviceWriteIOps: arrayOf(throttleDevice),
  CpuPeriod: int,
  CpuQuota: int,
  CpuRealtimePeriod: int,
  CpuRealtimeRuntime: int,
  CpusetCpus: str,
  CpusetMems: str,
  Devices: arrayOf(device),
  DeviceCgroupRules: strs,
  KernelMemory: int,
  KernelMemoryTCP: int,
  MemoryReservation: int,
  MemorySwap: int,
  MemorySwappiness: int,
  OomKillDisable: bool,
  PidsLimit: int,
  Ulimits: arrayOf(ulimit),
  CpuCount: int,
  CpuPercent: int,
  IOMaximumIOps: int,
  IOMaximumBandwidth: int,
};

const hostConfig = struct('container.HostConfig', {
  ...resourceFields,
  Binds: strs,
  ContainerIDFile: str,
  LogConfig: struct('container.LogConfig', { Type: str, Config: strMap }),
  NetworkMode: str,
  PortBindings: mapOf(arrayOf(portBinding)),
  RestartPolicy: restartPolicy,
  AutoRemove: bool,
  VolumeDriver: str,
  VolumesFrom: strs,
  ConsoleSize: arrayOf(int),
  CapAdd: 'strslice',
  CapDrop: 'strslice',
  CgroupnsMode: str,
  Dns: strs,
  DnsOptions: strs,
  DnsSearch: strs,
  ExtraHosts: strs,
  GroupAdd: strs,
  IpcMode: str,
  Cgroup: str,
  Links: strs,
  OomScoreAdj: int,
  PidMode: str,
  Privileged: bool,
  PublishAllPorts: bool,
  ReadonlyRootfs: bool,
  SecurityOpt: strs,
  StorageOpt: strMap,
  Tmpfs: strMap,
  UTSMode: str,
  UsernsMode: str,
  ShmSize: int,
  Sysctls: strMap,
  Runtime: str,
  Isolation: str,
  Mounts: arrayOf(mountSpec),
  MaskedPaths: strs,
  ReadonlyPaths: strs,
  Init: bool,
});

const endpointSettings = struct('network.EndpointSettings', {
  IPAMConfig: struct('network.EndpointIPAMConfig', {
    IPv4Address: str,
    IPv6Address: str,
    LinkLocalIPs: strs,
  }),
  Links: strs,
  Aliases: strs,
  NetworkID: str,
  EndpointID: str,
  Gateway: str,
  IPAddress: str,
  IPPrefixLen: int,
  IPv6Gateway: str,
  GlobalIPv6Address: str,
  GlobalIPv6PrefixLen: int,
  MacAddress: str,
  DriverOpts: strMap,
});

export const containerCreateBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('runconfig.ContainerConfigWrapper', {
    ...containerConfigFields,
    HostConfig: hostConfig,
    NetworkingConfig: struct('network.NetworkingConfig', { EndpointsConfig: mapOf(endpointSettings) }),
  }),
};

export const containerUpdateBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('container.UpdateConfig', { ...resourceFields, RestartPolicy: restartPolicy }),
};

/** POST /commit: an optional container.Config. */
export const commitBody: BodySchema = {
  jsonOnly: true,
  shape: struct('container.Config', containerConfigFields),
};

export const execCreateBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('types.ExecConfig', {
    User: str,
    Privileged: bool,
    Tty: bool,
    AttachStdin: bool,
    AttachStderr: bool,
    AttachStdout: bool,
    Detach: bool,
    DetachKeys: str,
    Env: strs,
    WorkingDir: str,
    Cmd: 'strslice',
  }),
};

export const execStartBody: BodySchema = {
  shape: struct('types.ExecStartCheck', { Detach: bool, Tty: bool, ConsoleSize: arrayOf(int) }),
};

export const authBody: BodySchema = {
  required: true,
  shape: struct('types.AuthConfig', {
    username: str,
    password: str,
    auth: str,
    email: str,
    serveraddress: str,
    identitytoken: str,
    registrytoken: str,
  }),
};

export const volumeCreateBody: BodySchema = {
  jsonOnly: true,
  shape: struct('volume.CreateOptions', { Name: str, Driver: str, DriverOpts: strMap, Labels: strMap }),
};

const ipamConfig = struct('network.IPAMConfig', {
  Subnet: str,
  IPRange: str,
  Gateway: str,
  AuxiliaryAddresses: strMap,
});

export const networkCreateBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('types.NetworkCreateRequest', {
    Name: str,
    CheckDuplicate: bool,
    Driver: str,
    Scope: str,
    EnableIPv6: bool,
    IPAM: struct('network.IPAM', { Driver: str, Options: strMap, Config: arrayOf(ipamConfig) }),
    Internal: bool,
    Attachable: bool,
    Ingress: bool,
    ConfigOnly: bool,
    ConfigFrom: struct('network.ConfigReference', { Network: str }),
    Options: strMap,
    Labels: strMap,
  }),
};

export const networkConnectBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('types.NetworkConnect', { Container: str, EndpointConfig: endpointSettings }),
};

export const networkDisconnectBody: BodySchema = {
  jsonOnly: true,
  required: true,
  shape: struct('types.NetworkDisconnect', { Container: str, Force: bool }),
};
