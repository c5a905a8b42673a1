// The `local` volume driver: a directory per volume under <data-root>/volumes/<name>/_data, with
// its labels and creation time beside it. Which containers use a volume is asked of the caller, so
// a volume in use is never removed.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Conflict, InvalidParameter, NotFound } from '../errdefs/index.js';

export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: 'local';
  /** Made for a container without a name (`-v /data`, image VOLUME): goes with it on `rm -v`. */
  anonymous?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function publicVolume(v: Volume): Omit<Volume, 'anonymous'> {
  const rest = { ...v };
  delete rest.anonymous;
  return rest;
}

export class VolumeStore {
  private readonly volumes = new Map<string, Volume>();

  constructor(
    readonly root: string,
    private readonly usedBy: (name: string) => string[],
  ) {
    mkdirSync(root, { recursive: true, mode: 0o701 });
    for (const name of readdirSync(root)) {
      try {
        const v = JSON.parse(readFileSync(path.join(root, name, 'volume.json'), 'utf8')) as Volume;
        this.volumes.set(v.Name, v);
      } catch {
        // an interrupted create: the directory was made, the record never written
        rmSync(path.join(root, name), { recursive: true, force: true });
      }
    }
  }

  create(
    name: string | undefined,
    o: {
      labels?: Record<string, string> | null;
      options?: Record<string, string> | null;
      anonymous?: boolean;
    } = {},
  ): { volume: Volume; created: boolean } {
    const n = name || randomBytes(32).toString('hex');
    if (!NAME.test(n)) {
      throw new InvalidParameter(
        `create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const have = this.volumes.get(n);
    if (have) return { volume: have, created: false };
    if (o.options && Object.keys(o.options).length > 0) {
      throw new InvalidParameter(
        `create ${n}: local volume driver options are not supported by tsctr-dockerd`,
      );
    }
    const dir = path.join(this.root, n);
    mkdirSync(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
    const v: Volume = {
      Name: n,
      Driver: 'local',
      Mountpoint: path.join(dir, '_data'),
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Labels: o.labels && Object.keys(o.labels).length > 0 ? o.labels : null,
      Options: null,
      Scope: 'local',
      ...(o.anonymous || !name ? { anonymous: true } : {}),
    };
    const tmp = path.join(dir, 'volume.json.tmp');
    writeFileSync(tmp, JSON.stringify(v));
    renameSync(tmp, path.join(dir, 'volume.json'));
    this.volumes.set(n, v);
    return { volume: v, created: true };
  }

  get(name: string): Volume {
    const v = this.volumes.get(name);
    if (!v) throw new NotFound(`get ${name}: no such volume`);
    return v;
  }

  list(): Volume[] {
    return [...this.volumes.values()];
  }

  inUse(name: string): string[] {
    return this.usedBy(name);
  }

  remove(name: string, force = false): void {
    const v = this.volumes.get(name);
    if (!v) {
      if (force) return;
      throw new NotFound(`get ${name}: no such volume`);
    }
    const users = this.usedBy(name);
    if (users.length > 0) throw new Conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.volumes.delete(name);
    // Rename first: a crash mid-delete leaves a directory without a record, swept at the next start.
    const doomed = path.join(this.root, `.rm-${name}`);
    renameSync(path.join(this.root, name), doomed);
    rmSync(doomed, { recursive: true, force: true });
  }

  exists(name: string): boolean {
    return this.volumes.has(name) && existsSync(this.volumes.get(name)!.Mountpoint);
  }
}
