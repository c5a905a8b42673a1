// GET /containers/{id}/archive: a tar of a container path, laid out as moby's archive.TarWithOptions
// with TarResourceRebaseOpts does it. For a directory the entries are "<base>/", "<base>/…" (base "."
// for "/dir/." and "" for "/", giving "./…" and "/…"); for anything else one entry "<base>". Nothing
// is followed inside the tree: symlinks are stored as symlinks, files with several links inside the
// tree as hard links to the first name seen, sockets are left out (Go's tar cannot store them).
// The walk holds a handle on each directory it descends into and opens every entry with O_NOFOLLOW
// relative to it (see rootfs.ts), so a container changing its files meanwhile cannot make us read
// outside its root.
import { type BigIntStats, closeSync, constants, openSync, read, readdirSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type Header, pack as tarPack, type Pack } from 'tar-stream';
import { errnoCode } from './errors.js';
import {
  at,
  closeQuietly,
  fstatBig,
  lstatAt,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  parseContainerPath,
  RootFs,
} from './rootfs.js';
import { locate, shownPath } from './stat.js';

const CHUNK = 64 * 1024;
/** The largest uid/gid a ustar header holds; larger ones go in PAX records. */
const USTAR_ID_MAX = 0o777777;

/** Errors that mean an entry changed or vanished while we walked: skip it, as moby does. */
const RACED = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENXIO']);

export interface PackOptions {
  /** For a directory: only what is inside it, named relative to it ("bin/", "bin/sh"), without the
   * directory's own entry — the layout of `docker export` (moby's archive.Tar of the rootfs). */
  contentsOnly?: boolean;
}

/**
 * A tar stream of the container path `p` under `root` (uncompressed). The final component is not
 * followed if it is a symlink (the tar holds the link), unless `p` ends in "/" or "/." (then the
 * link's target is archived under the link's name). Call statPath first to answer 404 / send the stat
 * header: problems found when the stream starts (a missing path, ENOENT/ENOTDIR-coded as statPath's)
 * are reported as an 'error' on the stream.
 */
export function packPath(root: string, p: string, opts: PackOptions = {}): Readable {
  const tar = tarPack();
  let full = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const out = new Readable({
    highWaterMark: 256 * 1024,
    read() {
      full = false;
      wakeUp();
    },
    destroy(err, cb) {
      closed = true;
      wakeUp();
      tar.destroy();
      cb(err);
    },
  });
  tar.on('data', (chunk: unknown) => {
    if (!out.push(chunk as Buffer)) full = true;
  });
  tar.on('end', () => out.push(null));
  tar.on('error', (err: Error) => out.destroy(err));

  /** Waits while the reader has enough buffered; throws once the output is destroyed. */
  const room = async (): Promise<void> => {
    while (full && !closed) await new Promise<void>((resolve) => (wake = resolve));
    if (closed) throw new Error('archive stream closed');
  };

  void (async () => {
    const rfs = RootFs.open(root);
    try {
      await new Packer(tar, room).run(rfs, p, opts.contentsOnly ?? false);
      tar.finalize();
    } finally {
      rfs.close();
    }
  })().catch((err: unknown) => {
    if (!closed) out.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return out;
}

type EntryHeader = Partial<Header> & {
  name: string;
  type: Header['type'];
  size: number;
  pax?: Record<string, string>;
};

class Packer {
  /** "dev:ino" of files with several links → the tar name they were first stored under. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly tar: Pack,
    private readonly room: () => Promise<void>,
  ) {}

  async run(rfs: RootFs, p: string, contentsOnly: boolean): Promise<void> {
    const cp = parseContainerPath(p);
    const obj = locate(rfs, cp, shownPath(p));
    try {
      if (!obj.st.isDirectory()) {
        await this.add(obj.fd, obj.name, obj.st, cp.base);
        return;
      }
      // The directory itself: a handle on it, then its tree.
      const dirFd = obj.name ? openSync(at(obj.fd, obj.name), O_PATH | O_DIRECTORY | O_NOFOLLOW) : obj.fd;
      try {
        if (contentsOnly) {
          await this.tree(dirFd, undefined);
        } else {
          // moby renames the walk's "." to the base: "tmp/…", "./…" for "/tmp/.", "/…" for "/".
          const prefix = cp.base === '/' ? '' : cp.base;
          await this.emit(this.header(`${prefix}/`, fstatBig(dirFd), 'directory'));
          await this.tree(dirFd, prefix);
        }
      } finally {
        if (dirFd !== obj.fd) closeQuietly(dirFd);
      }
    } finally {
      closeQuietly(obj.fd);
    }
  }

  /** The entries under the directory `dirFd`, depth first in name order (as filepath.WalkDir). */
  private async tree(dirFd: number, prefix: string | undefined): Promise<void> {
    const names = readdirSync(at(dirFd)).sort();
    for (const name of names) {
      const st = lstatAt(dirFd, name);
      if (!st) continue;
      const tarName = prefix === undefined ? name : `${prefix}/${name}`;
      if (!st.isDirectory()) {
        await this.add(dirFd, name, st, tarName);
        continue;
      }
      let fd: number;
      try {
        fd = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        if (RACED.has(errnoCode(err) ?? '')) continue;
        throw err;
      }
      try {
        await this.emit(this.header(`${tarName}/`, fstatBig(fd), 'directory'));
        await this.tree(fd, tarName);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** One non-directory entry: `name` in `dirFd` (or `dirFd` itself when name is ''). */
  private async add(dirFd: number, name: string, st: BigIntStats, tarName: string): Promise<void> {
    if (st.isSocket()) return;
    if (st.isFile()) return this.addFile(dirFd, name, tarName);
    let h: EntryHeader;
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = readlinkSync(at(dirFd, name));
      } catch (err) {
        if (RACED.has(errnoCode(err) ?? '') || errnoCode(err) === 'EINVAL') return;
        throw err;
      }
      h = this.header(tarName, st, 'symlink');
      h.linkname = target;
    } else if (st.isFIFO()) {
      h = this.header(tarName, st, 'fifo');
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      h = this.header(tarName, st, st.isCharacterDevice() ? 'character-device' : 'block-device');
      h.devmajor = devMajor(st.rdev);
      h.devminor = devMinor(st.rdev);
    } else {
      return;
    }
    await this.emit(this.hardLinked(h, st));
  }

  private async addFile(dirFd: number, name: string, tarName: string): Promise<void> {
    let fd: number;
    try {
      const flags = constants.O_RDONLY | O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
      fd = openSync(name ? at(dirFd, name) : at(dirFd), flags);
    } catch (err) {
      if (RACED.has(errnoCode(err) ?? '')) return;
      throw err;
    }
    try {
      const st = fstatBig(fd);
      if (!st.isFile()) return; // replaced by something else since the lstat
      const h = this.hardLinked(this.header(tarName, st, 'file'), st);
      if (h.type === 'link') return this.emit(h);
      h.size = Number(st.size);
      await this.room();
      let done!: (err?: Error | null) => void;
      const written = new Promise<void>((resolve, reject) => {
        done = (err) => (err ? reject(err) : resolve());
      });
      written.catch(() => undefined); // awaited below, unless the reader went away first
      const sink = this.tar.entry(h, (err) => done(err));
      let pos = 0;
      while (pos < h.size) {
        const want = Math.min(CHUNK, h.size - pos);
        const buf = Buffer.alloc(want);
        const got = await readAt(fd, buf, pos);
        // A file that shrank meanwhile is padded with zeros (the header already promised its size).
        pos += got === 0 ? want : got;
        await this.room();
        if (!sink.write(got === 0 ? buf : buf.subarray(0, got))) {
          await new Promise<void>((resolve) => {
            const go = (): void => {
              sink.off('drain', go);
              sink.off('close', go);
              resolve();
            };
            sink.on('drain', go);
            sink.on('close', go);
          });
        }
      }
      sink.end(null);
      await written;
    } finally {
      closeSync(fd);
    }
  }

  private header(name: string, st: BigIntStats, type: Header['type']): EntryHeader {
    const uid = Number(st.uid);
    const gid = Number(st.gid);
    const h: EntryHeader = {
      name,
      type,
      size: 0,
      mode: Number(st.mode & 0o7777n),
      uid,
      gid,
      // Go's tar writer (moby's FileInfoHeader) keeps whole seconds.
      mtime: new Date(Number(st.mtimeNs / 1_000_000_000n) * 1000),
    };
    if (uid > USTAR_ID_MAX || gid > USTAR_ID_MAX) h.pax = { uid: String(uid), gid: String(gid) };
    // tar-stream's ustar prefix split drops a leading "/" (names from archiving "/"): use PAX then.
    if (name.startsWith('/') && Buffer.byteLength(name) > 100) h.pax = h.pax ?? {};
    return h;
  }

  /** The second and later names of a multiply linked non-directory become hard link entries. */
  private hardLinked(h: EntryHeader, st: BigIntStats): EntryHeader {
    if (st.nlink <= 1n) return h;
    const key = `${st.dev}:${st.ino}`;
    const first = this.seen.get(key);
    if (first === undefined) {
      this.seen.set(key, h.name);
      return h;
    }
    return { ...h, type: 'link', linkname: first, size: 0 };
  }

  /** An entry without a body. */
  private async emit(h: EntryHeader): Promise<void> {
    await this.room();
    await new Promise<void>((resolve, reject) => {
      this.tar.entry(h, (err) => (err ? reject(err) : resolve()));
    });
  }
}

function readAt(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

/** glibc's major()/minor() of a 64-bit dev_t. */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
}

export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
}
