// HEAD /containers/{id}/archive: what a container path is, as moby's container.PathStat, and its
// X-Docker-Container-Path-Stat header encoding.
import { type BigIntStats, readlinkSync } from 'node:fs';
import { errnoCode, notADirectory, notFound } from '../../pkg/archive/errors.js';
import {
  at,
  closeQuietly,
  containerPathOf,
  fstatBig,
  lstatAt,
  RootFs,
  walk,
} from '../../pkg/archive/rootfs.js';
import { type ContainerPath, parseContainerPath } from './container-path.js';

/** moby's container.PathStat, with Go's JSON shapes: `mode` is an os.FileMode, `mtime` RFC 3339. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go os.FileMode bits. */
export const GoMode = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

const S_IFMT = 0o170000;

/** A Unix st_mode as Go's os.FileMode (what os.Lstat(...).Mode() gives on Linux). */
export function goFileMode(stMode: number | bigint): number {
  const m = Number(stMode);
  let mode = m & 0o777;
  switch (m & S_IFMT) {
    case 0o040000:
      mode += GoMode.dir;
      break;
    case 0o120000:
      mode += GoMode.symlink;
      break;
    case 0o060000:
      mode += GoMode.device;
      break;
    case 0o020000:
      mode += GoMode.device + GoMode.charDevice;
      break;
    case 0o010000:
      mode += GoMode.namedPipe;
      break;
    case 0o140000:
      mode += GoMode.socket;
      break;
  }
  if (m & 0o4000) mode += GoMode.setuid;
  if (m & 0o2000) mode += GoMode.setgid;
  if (m & 0o1000) mode += GoMode.sticky;
  return mode;
}

/** A time as Go's time.Time marshals to JSON in UTC (RFC 3339, nanoseconds without trailing zeros). */
export function goTime(ns: bigint): string {
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const digits = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${digits}Z`;
}

/** JSON as Go's encoding/json writes it (<, >, & and U+2028/9 escaped), fields in PathStat order. */
function goJson(stat: PathStat): string {
  const ordered = {
    name: stat.name,
    size: stat.size,
    mode: stat.mode,
    mtime: stat.mtime,
    linkTarget: stat.linkTarget,
  };
  return JSON.stringify(ordered).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The value of the X-Docker-Container-Path-Stat header. */
export function encodeStatHeader(stat: PathStat): string {
  return Buffer.from(goJson(stat)).toString('base64');
}

export function decodeStatHeader(header: string): PathStat {
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

/** The object a container path names: `name` in directory `fd` ('' = `fd` itself), and its lstat. */
export interface Located {
  fd: number;
  name: string;
  comps: string[];
  st: BigIntStats;
}

/**
 * Finds what `cp` names without following a final symlink unless the path asserts a directory
 * ("/link/" or "/link/."). The caller closes `fd`. ENOENT-coded NotFound if it does not exist;
 * ENOTDIR-coded InvalidArgument if a component (or a path asserting a directory) is not a directory.
 */
export function locate(rfs: RootFs, cp: ContainerPath, shown: string): Located {
  const w = walk(rfs, rfs.top, cp.comps, { last: cp.assertsDir ? 'follow' : 'nofollow' });
  try {
    const st = w.name ? lstatAt(w.fd, w.name) : fstatBig(w.fd);
    if (!st) throw notFound(`lstat ${shown}: no such file or directory`);
    if (cp.assertsDir && !st.isDirectory()) throw notADirectory(`lstat ${shown}: not a directory`);
    return { ...w, st };
  } catch (err) {
    closeQuietly(w.fd);
    throw err;
  }
}

/** The absolute container path as shown in messages. */
export function shownPath(p: string): string {
  return p.startsWith('/') ? p : `/${p}`;
}

/** The fully resolved container path a symlink leads to, as much of it as exists (moby's linkTarget). */
function linkTargetOf(rfs: RootFs, comps: string[]): string {
  const w = walk(rfs, rfs.top, comps, { last: 'follow', lenient: true });
  closeQuietly(w.fd);
  return containerPathOf(w.comps);
}

/**
 * Stat of the container path `p` under `root` (HEAD …/archive). A final symlink is not followed
 * unless `p` ends in "/" or "/."; its `linkTarget` is then the resolved container path. Errors:
 * `code: 'ENOENT'` (kind NotFound) when the path does not exist — answer 404 with
 * couldNotFindMessage(p, id); `code: 'ENOTDIR'` (kind InvalidArgument) for "/file/" or "/file/x".
 */
export async function statPath(root: string, p: string): Promise<PathStat> {
  const cp = parseContainerPath(p);
  const rfs = RootFs.open(root);
  try {
    const obj = locate(rfs, cp, shownPath(p));
    let linkTarget = '';
    try {
      if (obj.st.isSymbolicLink()) {
        try {
          linkTarget = linkTargetOf(rfs, obj.comps);
        } catch (err) {
          // A symlink loop: moby fails the whole stat; the raw target is more useful.
          if (errnoCode(err) !== 'ELOOP') throw err;
          linkTarget = readlinkSync(at(obj.fd, obj.name));
        }
      }
    } finally {
      closeQuietly(obj.fd);
    }
    return {
      name: cp.base,
      size: Number(obj.st.size),
      mode: goFileMode(obj.st.mode),
      mtime: goTime(obj.st.mtimeNs),
      linkTarget,
    };
  } finally {
    rfs.close();
  }
}
