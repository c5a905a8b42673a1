// COPY's file copy without a tar in between: entries of a source tree (the build's own context or a
// mounted image; nothing in it is followed) recreated in a destination directory of a mounted
// snapshot, confined the way pkg/archive's extractor is: the destination is reached through
// directory handles (a symlink in the image never leads out of it), every entry is created by its
// single name inside a handle with calls that never follow a final symlink (mkdir, O_EXCL create,
// symlink), after whatever was there is removed (confined rm -rf).
import {
  type Stats,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../../pkg/archive/errors.js';
import {
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  RootFs,
  at,
  closeQuietly,
  fstatBig,
  lstatAt,
  removeAt,
  walk,
} from '../../pkg/archive/rootfs.js';

export interface Owner {
  uid: number;
  gid: number;
}

/** A handle on the directory `dir` (a container path, followed inside the root like docker cp). */
function openDir(rfs: RootFs, dir: string): number {
  const w = walk(rfs, rfs.top, dir.split('/'), { last: 'follow' });
  try {
    const st = w.name ? lstatAt(w.fd, w.name) : fstatBig(w.fd);
    if (!st) throw notFound(`lstat ${dir}: no such file or directory`);
    if (!st.isDirectory()) throw invalid(`cannot copy to non-directory: ${dir}`);
    return w.name ? openSync(at(w.fd, w.name), O_PATH | O_DIRECTORY | O_NOFOLLOW) : rfs.dup(w.fd);
  } finally {
    closeQuietly(w.fd);
  }
}

function put(dirFd: number, name: string, src: string, st: Stats, own: Owner): void {
  const p = at(dirFd, name);
  const cur = lstatAt(dirFd, name);
  if (st.isDirectory()) {
    if (cur && !cur.isDirectory()) removeAt(dirFd, name);
    if (!cur?.isDirectory()) mkdirSync(p, 0o700);
    const fd = openSync(p, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    try {
      for (const child of readdirSync(src)) {
        const c = path.join(src, child);
        put(fd, child, c, lstatSync(c), own);
      }
      const self = at(fd);
      chownSync(self, own.uid, own.gid);
      chmodSync(self, st.mode & 0o7777);
      utimesSync(self, st.atime, st.mtime);
    } finally {
      closeSync(fd);
    }
    return;
  }
  if (cur) removeAt(dirFd, name);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), p);
    lchownSync(p, own.uid, own.gid);
    return;
  }
  if (!st.isFile()) return; // sockets, fifos and devices are not copied
  copyFileSync(src, p, constants.COPYFILE_EXCL);
  chownSync(p, own.uid, own.gid);
  chmodSync(p, st.mode & 0o7777); // after chown, which clears setuid/setgid
  utimesSync(p, st.atime, st.mtime);
}

/**
 * Copies `src` (a host path) as `name` into the container directory `destDir` under `root`; with
 * `name` undefined and a directory `src`, its contents instead.
 */
export function copyTree(
  src: string,
  root: string,
  destDir: string,
  name: string | undefined,
  own: Owner,
): void {
  const rfs = RootFs.open(root);
  try {
    const fd = openDir(rfs, destDir);
    try {
      const st = lstatSync(src);
      if (name !== undefined) {
        put(fd, name, src, st, own);
        return;
      }
      for (const child of readdirSync(src)) {
        const c = path.join(src, child);
        put(fd, child, c, lstatSync(c), own);
      }
    } finally {
      closeSync(fd);
    }
  } finally {
    rfs.close();
  }
}
