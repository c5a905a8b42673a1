// mount(2) of a containerd Mount (overlay, bind, tmpfs…), bound on first use.
import { errno, failedError, lazyFunc } from './libc.js';

const cMount = lazyFunc<
  (source: string, target: string, fstype: string, flags: number, data: string) => number
>(
  'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
);

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_REMOUNT = 0x20;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;

const FLAGS: Record<string, number> = {
  ro: MS_RDONLY,
  rw: 0,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  noatime: MS_NOATIME,
  nodiratime: MS_NODIRATIME,
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
};

/**
 * mount(2) of one containerd Mount: options that are flags become flags, the rest the filesystem's
 * data string. A read-only bind takes a second, remounting call.
 */
export function mountSyscall(m: { type: string; source: string; options: string[] }, target: string): void {
  let flags = 0;
  const data: string[] = [];
  for (const o of m.options) {
    if (o in FLAGS) flags |= FLAGS[o];
    else data.push(o);
  }
  const type = m.type === 'bind' ? '' : m.type;
  if (m.type === 'bind') flags |= MS_BIND | (m.options.includes('bind') ? 0 : MS_REC);
  const bind = (flags & MS_BIND) !== 0;
  // A bind ignores MS_RDONLY on its first call: read-only takes a remount.
  const first = bind ? flags & ~MS_RDONLY : flags;
  if (cMount()(m.source, target, type, first, data.join(',')) !== 0) throw failedError('mount');
  if (bind && flags & MS_RDONLY) {
    if (cMount()('', target, '', MS_BIND | MS_REMOUNT | MS_RDONLY, '') !== 0) throw failedError('remount');
  }
}

const cUmount2 = lazyFunc<(target: string, flags: number) => number>(
  'int umount2(const char *target, int flags)',
);
export const MNT_DETACH = 0x2;
const EINVAL = 22;
const ENOENT = 2;

/** umount2(2); true when something was unmounted, false when `target` was no mount point or is gone. */
export function umount(target: string, flags = 0): boolean {
  if (cUmount2()(target, flags) === 0) return true;
  const n = errno();
  if (n === EINVAL || n === ENOENT) return false;
  throw failedError(`umount ${target}`);
}
