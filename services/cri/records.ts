// The CRI's own records (pods and containers), one JSON file each under <root>/cri, written atomically
// (temporary file, fsync, rename) so a kill -9 leaves either the old or the new record.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class RecordDir<T extends { id: string }> {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  async put(r: T): Promise<void> {
    const tmp = `${this.file(r.id)}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(r));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.file(r.id));
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }

  async all(): Promise<T[]> {
    const out: T[] = [];
    for (const n of await fs.readdir(this.dir)) {
      if (!n.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await fs.readFile(path.join(this.dir, n), 'utf8')) as T);
      } catch {
        // a torn temporary never has the .json name; anything unreadable is skipped
      }
    }
    return out;
  }
}
