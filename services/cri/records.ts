// The CRI's own records (pods and containers), one JSON file each under <root>/cri, written atomically
// (temporary file, fsync, rename) so a kill -9 leaves either the old or the new record.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class RecordDir<T extends { id: string }> {
  /** Writes of one record run one after another (they share a temporary file). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  put(r: T): Promise<void> {
    const text = JSON.stringify(r);
    const next = (this.queues.get(r.id) ?? Promise.resolve()).then(() => this.write(r.id, text));
    const tail = next.catch(() => undefined);
    this.queues.set(r.id, tail);
    void tail.then(() => {
      if (this.queues.get(r.id) === tail) this.queues.delete(r.id);
    });
    return next;
  }

  private async write(id: string, text: string): Promise<void> {
    const tmp = `${this.file(id)}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.file(id));
  }

  async remove(id: string): Promise<void> {
    await this.queues.get(id);
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
