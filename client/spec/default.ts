// The default Linux spec a container starts from: what containerd 1.6 builds in `populateDefaultUnixSpec`,
// followed by `WithDefaultUnixDevices` (ctr always applies both, first).
import path from 'node:path';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_UNIX_CAPS } from '../../pkg/oci/defaults.js';
import { OCI_VERSION, type LinuxDeviceCgroup, type LinuxNamespace, type Mount, type Spec } from './types.js';

/** The PATH a process gets when the image sets no environment at all. */
export const DEFAULT_UNIX_ENV: readonly string[] = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
];

export const DEFAULT_ROOTFS_PATH = 'rootfs';

const NOSUID_NOEXEC_NODEV = ['nosuid', 'noexec', 'nodev'];

/** The filesystems every container gets, in mount order. */
export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: [...NOSUID_NOEXEC_NODEV] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: [...NOSUID_NOEXEC_NODEV, 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: [...NOSUID_NOEXEC_NODEV] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...NOSUID_NOEXEC_NODEV, 'ro'] },
    {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
  ];
}

export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../pkg/oci/defaults.js';

/** New namespaces of these kinds; a new network namespace has only a loopback until something sets it up. */
export function defaultNamespaces(): LinuxNamespace[] {
  return [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }];
}

/** The character devices a container may use after the deny-all rule, in containerd's order. */
export const DEFAULT_UNIX_DEVICES: readonly Readonly<LinuxDeviceCgroup>[] = [
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
];

/**
 * The spec a container in namespace `ns` with id `id` starts from. The process has no args and no env yet:
 * `withImageConfig` (or `withProcessArgs` and `withDefaultPathEnv`) fills them in.
 */
export function defaultSpec(ns: string, id: string): Spec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      user: { uid: 0, gid: 0 },
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_UNIX_CAPS],
        effective: [...DEFAULT_UNIX_CAPS],
        permitted: [...DEFAULT_UNIX_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: DEFAULT_ROOTFS_PATH },
    mounts: defaultMounts(),
    linux: {
      resources: {
        devices: [{ allow: false, access: 'rwm' }, ...DEFAULT_UNIX_DEVICES.map((d) => ({ ...d }))],
      },
      cgroupsPath: path.posix.join('/', ns, id),
      namespaces: defaultNamespaces(),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
