// The OCI runtime spec (runtime-spec v1.0.2, `config.json`) as TypeScript types: the Linux parts a container
// engine needs. Field names are the JSON names. A field that Go marks `omitempty` is optional here, and code that
// builds a spec leaves it out (never `undefined` on purpose in output, never empty) so the JSON equals Go's.
import type { LinuxSeccomp } from '../../pkg/seccomp/types.js';

/** The version containerd 1.6 writes (runtime-spec v1.0.2 on its development branch). */
export const OCI_VERSION = '1.0.2-dev';

export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user: User;
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: PosixRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface Box {
  height: number;
  width: number;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface PosixRlimit {
  /** e.g. `RLIMIT_NOFILE` */
  type: string;
  hard: number;
  soft: number;
}

export interface Root {
  /** Relative paths are relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /** Join the namespace at this path instead of creating a new one. */
  path?: string;
}

export interface LinuxIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Linux {
  uidMappings?: LinuxIdMapping[];
  gidMappings?: LinuxIdMapping[];
  sysctl?: Record<string, string>;
  resources?: LinuxResources;
  cgroupsPath?: string;
  namespaces?: LinuxNamespace[];
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCpu;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIo;
  hugepageLimits?: { pageSize: string; limit: number }[];
  unified?: Record<string, string>;
}

/** A device cgroup rule. Without `major`/`minor` it matches every number (`*`). */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** `a` (all), `c` (char) or `b` (block) */
  type?: string;
  major?: number;
  minor?: number;
  /** any of `r`, `w`, `m` */
  access?: string;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
}

export interface LinuxCpu {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
}

export interface LinuxPids {
  limit: number;
}

export interface LinuxBlockIo {
  weight?: number;
  leafWeight?: number;
  weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

/** A device node created in the container. */
export interface LinuxDevice {
  path: string;
  /** `c`, `b`, `u` or `p` */
  type: string;
  major: number;
  minor: number;
  /** Permission bits (with setuid/setgid/sticky), no file type bits. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

// The seccomp shapes are pkg/seccomp's (the profile code there builds them).
export type {
  LinuxSeccomp,
  LinuxSyscall,
  SeccompAction as LinuxSeccompAction,
  SeccompArg as LinuxSeccompArg,
  SeccompOperator as LinuxSeccompOperator,
} from '../../pkg/seccomp/types.js';
