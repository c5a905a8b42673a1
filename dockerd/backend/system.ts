// /info, /version and /system/df with this machine's real figures.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { daemonVersion, serverUuid } from '../../client/services/introspection.js';
import type { Engine } from './engine.js';
import { securityInfo } from './security.js';

export const ENGINE_VERSION = '20.10.24-tsctr.0.1.0';
export const API_VERSION = '1.41';
// dockerd 20.10's DefaultMinVersion: older clients get "client version X is too old…" (400).
export const MIN_API_VERSION = '1.12';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : 'Linux';
  } catch {
    return 'Linux';
  }
}

function osVersion(): string {
  try {
    const m = /^VERSION_ID="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : '';
  } catch {
    return '';
  }
}

export function cgroupVersion(): '1' | '2' {
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    return '1';
  }
}

const arch = () => (os.arch() === 'x64' ? 'x86_64' : os.arch() === 'arm64' ? 'aarch64' : os.arch());
const goArch = () => (os.arch() === 'x64' ? 'amd64' : os.arch());

export async function info(e: Engine, imagesCount: number): Promise<Record<string, unknown>> {
  const recs = e.store.list();
  const running = recs.filter((r) => r.State.Running && !r.State.Paused).length;
  const paused = recs.filter((r) => r.State.Paused).length;
  return {
    ID: await serverUuid(e.c),
    Containers: recs.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: recs.length - running - paused,
    Images: imagesCount,
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'tsctrd overlayfs snapshotter'],
      ['Supports d_type', 'true'],
    ],
    Plugins: {
      Volume: ['local'],
      Network: ['host', 'null'],
      Authorization: null,
      Log: ['json-file', 'local'],
    },
    MemoryLimit: true,
    SwapLimit: cgroupVersion() === '2',
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: cgroupVersion() === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: e.events.listeners,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSVersion: osVersion(),
    OSType: 'linux',
    Architecture: arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: [],
    },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: e.opts.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: { 'io.containerd.runc.v2': { path: 'runc' }, runc: { path: 'runc' } },
    DefaultRuntime: 'runc',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: 'tsctrd', Expected: 'tsctrd' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: securityInfo(e.opts.security ?? {}, cgroupVersion() === '2'),
    Warnings: [],
  };
}

export async function version(e: Engine): Promise<Record<string, unknown>> {
  let tsctrd = '';
  try {
    tsctrd = (await daemonVersion(e.c)).version;
  } catch {
    tsctrd = 'unavailable';
  }
  const details = {
    ApiVersion: API_VERSION,
    Arch: goArch(),
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'tsctr' },
    Components: [
      { Name: 'Engine', Version: ENGINE_VERSION, Details: details },
      { Name: 'tsctrd', Version: tsctrd, Details: { GitCommit: '' } },
    ],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}
