// Docker-side container records: one JSON file per container under <data-root>/containers/<id>/,
// replaced atomically, and an in-memory index by id and by name. Lookups follow Docker's order:
// full id, exact name, then a unique id prefix.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Conflict, InvalidParameter, NotFound } from '../errdefs/index.js';
import type { ContainerRecord } from './types.js';

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  /** Ids removed in this run (random 64-hex ids are never reused). */
  private readonly removed = new Set<string>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o710 });
  }

  /** Loads every record left by an earlier run (a half-written file never replaces a whole one). */
  load(): ContainerRecord[] {
    for (const id of readdirSync(this.root)) {
      try {
        const rec = JSON.parse(readFileSync(this.file(id), 'utf8')) as ContainerRecord;
        this.byId.set(rec.Id, rec);
        this.byName.set(rec.Name, rec.Id);
      } catch {
        // a directory whose create never finished: nothing refers to it
        rmSync(path.join(this.root, id), { recursive: true, force: true });
      }
    }
    return this.list();
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  private file(id: string): string {
    return path.join(this.root, id, 'config.json');
  }

  list(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  nameTaken(name: string): boolean {
    return this.byName.has(name);
  }

  /** Reserves a name for a new container, or refuses with Docker's conflict text. */
  reserve(name: string, id: string): void {
    const owner = this.byName.get(name);
    if (owner && owner !== id) {
      throw new Conflict(
        `Conflict. The container name "${name}" is already in use by container "${owner}". ` +
          'You have to remove (or rename) that container to be able to reuse that name.',
      );
    }
    this.byName.set(name, id);
  }

  release(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  get(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw new NotFound(`No such container: ${ref}`);
    return rec;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (named) return this.byId.get(named);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    let found: ContainerRecord | undefined;
    for (const [id, rec] of this.byId) {
      if (!id.startsWith(ref)) continue;
      if (found) throw new InvalidParameter(`multiple IDs found with provided prefix: ${ref}`);
      found = rec;
    }
    return found;
  }

  save(rec: ContainerRecord): void {
    // A removed container stays removed: late work on it (an exit recorded, a restart that lost the
    // race with `rm -f`) must not bring its record back.
    if (this.removed.has(rec.Id)) return;
    mkdirSync(this.dir(rec.Id), { recursive: true, mode: 0o710 });
    const tmp = `${this.file(rec.Id)}.tmp`;
    writeFileSync(tmp, JSON.stringify(rec));
    renameSync(tmp, this.file(rec.Id));
    this.byId.set(rec.Id, rec);
    this.byName.set(rec.Name, rec.Id);
  }

  rename(rec: ContainerRecord, name: string): void {
    const old = rec.Name;
    this.reserve(name, rec.Id);
    rec.Name = name;
    try {
      this.save(rec);
    } catch (e) {
      rec.Name = old;
      this.release(name, rec.Id);
      throw e;
    }
    this.release(old, rec.Id);
  }

  remove(id: string): void {
    const rec = this.byId.get(id);
    if (!rec) return;
    this.removed.add(id);
    this.byId.delete(id);
    this.release(rec.Name, id);
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
