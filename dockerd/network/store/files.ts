// One JSON file per network under the store's directory (`<id>.json`), each written through a temp
// file, fsync and rename (then the directory is fsynced), so a crash leaves the old file or the new one,
// never half of one. Temp files a crash left behind are removed at load; an unreadable file is skipped.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkRecord } from './types.js';

const RECORD_FILE = /^([0-9a-f]{64})\.json$/;
const TEMP_FILE = /^\..*\.tmp$/;

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function looksLikeRecord(v: unknown, id: string): v is NetworkRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<NetworkRecord>;
  return (
    r.Id === id &&
    typeof r.Name === 'string' &&
    typeof r.Driver === 'string' &&
    typeof r.Created === 'string' &&
    typeof r.IPAM === 'object' &&
    r.IPAM !== null &&
    Array.isArray(r.IPAM.Config) &&
    typeof r.Options === 'object' &&
    typeof r.Labels === 'object' &&
    typeof r.endpoints === 'object' &&
    r.endpoints !== null &&
    typeof r.bridgeName === 'string'
  );
}

export interface LoadResult {
  records: NetworkRecord[];
  /** Files that could not be read as a network record (left in place), with why. */
  skipped: { file: string; reason: string }[];
}

export class RecordFiles {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** Every record in the directory (created if missing); stale temp files are removed. */
  async loadAll(): Promise<LoadResult> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const out: LoadResult = { records: [], skipped: [] };
    for (const name of (await readdir(this.dir)).sort()) {
      if (TEMP_FILE.test(name)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const m = RECORD_FILE.exec(name);
      if (!m) continue;
      try {
        const parsed: unknown = JSON.parse(await readFile(join(this.dir, name), 'utf8'));
        if (looksLikeRecord(parsed, m[1])) out.records.push(parsed);
        else out.skipped.push({ file: name, reason: 'not a network record' });
      } catch (err) {
        out.skipped.push({ file: name, reason: (err as Error).message });
      }
    }
    return out;
  }

  /** Writes the record's file atomically and durably. */
  async write(rec: NetworkRecord): Promise<void> {
    const tmp = join(this.dir, `.${rec.Id}.json.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(rec)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file(rec.Id));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await fsyncDir(this.dir);
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
    await fsyncDir(this.dir);
  }
}
