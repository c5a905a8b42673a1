// The snapshotter conformance suite: the same checks, through the `Snapshotter` interface, for every
// implementation (overlayfs and native on the local store, and the gRPC proxy over tsctrd). Files
// are read and written through the mounts each call returns, mounted for real: it must run as root.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Mount } from './backend.js';
import type { Snapshotter } from './snapshotter.js';

const run = promisify(execFile);

export interface SnapshotterUnderTest {
  sn: Snapshotter;
  /** Releases what `make` set up (the suite unmounts its own mounts first). */
  cleanup(): Promise<void>;
}

/** Creates a fresh, empty snapshotter for one test. */
export type MakeSnapshotter = () => Promise<SnapshotterUnderTest>;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function runSnapshotterSuite(name: string, make: MakeSnapshotter): void {
  describe(`snapshotter conformance: ${name}`, () => {
    let under: SnapshotterUnderTest;
    let sn: Snapshotter;
    let scratch: string;
    const mounted: string[] = [];

    beforeEach(async () => {
      under = await make();
      sn = under.sn;
      scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'tsctr-sn-suite-'));
    });
    afterEach(async () => {
      for (const t of mounted.splice(0).reverse()) await run('umount', ['-l', t]).catch(() => undefined);
      await fs.rm(scratch, { recursive: true, force: true });
      await under.cleanup();
    });

    /** Mounts what a call returned on a new directory and gives its path. */
    async function mountAt(mounts: Mount[]): Promise<string> {
      const target = await fs.mkdtemp(path.join(scratch, 'm-'));
      for (const m of mounts) {
        const opts = m.options.length ? ['-o', m.options.join(',')] : [];
        const typed = m.type === 'bind' || m.type === 'rbind' ? [] : ['-t', m.type];
        await run('mount', [...typed, ...opts, m.source, target]);
        mounted.push(target);
      }
      return target;
    }

    async function unmount(target: string): Promise<void> {
      await run('umount', [target]);
      mounted.splice(mounted.lastIndexOf(target), 1);
    }

    /** Prepares `key` on `parent`, lets `fill` change its files, commits it as `name`. */
    async function commitWith(
      key: string,
      parent: string,
      fill: (dir: string) => Promise<void>,
      labels: Record<string, string> = {},
    ): Promise<void> {
      const dir = await mountAt(await sn.prepare(key, parent));
      await fill(dir);
      await unmount(dir);
      await sn.commit(key.replace(/-active$/, ''), key, labels);
    }

    const read = (dir: string, file: string) => fs.readFile(path.join(dir, file), 'utf8');
    const exists = (dir: string, file: string) =>
      fs.lstat(path.join(dir, file)).then(
        () => true,
        () => false,
      );

    it('prepares an empty, writable active snapshot', async () => {
      const dir = await mountAt(await sn.prepare('a1'));
      expect(await fs.readdir(dir)).toEqual([]);
      await fs.writeFile(path.join(dir, 'hello'), 'world\n');
      expect(await read(dir, 'hello')).toBe('world\n');
      const info = await sn.stat('a1');
      expect(info).toMatchObject({ name: 'a1', parent: '', kind: 'active', labels: {} });
      expect(info.createdAt).toBeGreaterThan(0n);
    });

    it('commits an active snapshot under a new name, keeping its files and labels', async () => {
      await commitWith('base-active', '', (d) => fs.writeFile(path.join(d, 'f'), 'base\n'), { l: 'v' });
      await expect(sn.stat('base-active')).rejects.toMatchObject({ kind: 'NotFound' });
      expect(await sn.stat('base')).toMatchObject({ name: 'base', kind: 'committed', labels: { l: 'v' } });
      const view = await mountAt(await sn.view('v1', 'base'));
      expect(await read(view, 'f')).toBe('base\n');
      expect(await sn.stat('v1')).toMatchObject({ kind: 'view', parent: 'base' });
    });

    it('shows a parent chain through the mounts, with deletes and changes kept in the child', async () => {
      await commitWith('base-active', '', async (d) => {
        await fs.writeFile(path.join(d, 'keep'), 'keep\n');
        await fs.writeFile(path.join(d, 'gone'), 'gone\n');
        await fs.writeFile(path.join(d, 'change'), 'old\n');
        await fs.mkdir(path.join(d, 'dir/sub'), { recursive: true });
        await fs.writeFile(path.join(d, 'dir/sub/x'), 'x\n');
      });
      await commitWith('child-active', 'base', async (d) => {
        expect(await read(d, 'dir/sub/x')).toBe('x\n');
        await fs.rm(path.join(d, 'gone'));
        await fs.rm(path.join(d, 'dir'), { recursive: true });
        await fs.writeFile(path.join(d, 'change'), 'new\n');
        await fs.writeFile(path.join(d, 'added'), 'added\n');
      });
      expect(await sn.stat('child')).toMatchObject({ kind: 'committed', parent: 'base' });

      const child = await mountAt(await sn.view('child-view', 'child'));
      expect((await fs.readdir(child)).sort()).toEqual(['added', 'change', 'keep']);
      expect(await read(child, 'change')).toBe('new\n');

      const base = await mountAt(await sn.view('base-view', 'base'));
      expect((await fs.readdir(base)).sort()).toEqual(['change', 'dir', 'gone', 'keep']);
      expect(await read(base, 'change')).toBe('old\n');

      // A grandchild inherits the deletes, and can bring a deleted name back.
      const grand = await mountAt(await sn.prepare('grand', 'child'));
      expect(await exists(grand, 'gone')).toBe(false);
      expect(await exists(grand, 'dir')).toBe(false);
      await fs.writeFile(path.join(grand, 'gone'), 'back\n');
      expect(await read(grand, 'gone')).toBe('back\n');
      expect(await read(grand, 'keep')).toBe('keep\n');
      expect(await sn.stat('grand')).toMatchObject({ kind: 'active', parent: 'child' });
    });

    it('serves read-only views that cannot be committed', async () => {
      await commitWith('base-active', '', (d) => fs.writeFile(path.join(d, 'f'), 'x'));
      const view = await mountAt(await sn.view('v', 'base'));
      await expect(fs.writeFile(path.join(view, 'new'), 'y')).rejects.toMatchObject({ code: 'EROFS' });
      await expect(sn.commit('v-committed', 'v')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
      expect((await sn.stat('v')).kind).toBe('view');
      const empty = await mountAt(await sn.view('empty-view'));
      expect(await fs.readdir(empty)).toEqual([]);
    });

    it('returns mounts for an existing snapshot that show what was written before', async () => {
      await commitWith('base-active', '', (d) => fs.writeFile(path.join(d, 'lower'), 'l'));
      const first = await mountAt(await sn.prepare('work', 'base'));
      await fs.writeFile(path.join(first, 'upper'), 'u');
      await unmount(first);
      const again = await mountAt(await sn.mounts('work'));
      expect(await read(again, 'upper')).toBe('u');
      expect(await read(again, 'lower')).toBe('l');
      await fs.writeFile(path.join(again, 'more'), 'm');
    });

    it('answers NotFound, AlreadyExists, InvalidArgument and FailedPrecondition as containerd does', async () => {
      for (const call of [
        () => sn.stat('nope'),
        () => sn.mounts('nope'),
        () => sn.usage('nope'),
        () => sn.remove('nope'),
        () => sn.update('nope', { a: 'b' }),
        () => sn.commit('x', 'nope'),
        () => sn.prepare('child-of-nothing', 'nope'),
        () => sn.view('view-of-nothing', 'nope'),
      ]) {
        await expect(call()).rejects.toMatchObject({ kind: 'NotFound' });
      }
      await sn.prepare('active');
      await expect(sn.prepare('active')).rejects.toMatchObject({ kind: 'AlreadyExists' });
      await expect(sn.view('active')).rejects.toMatchObject({ kind: 'AlreadyExists' });
      await expect(sn.prepare('on-active', 'active')).rejects.toMatchObject({ kind: 'InvalidArgument' });
      await commitWith('base-active', '', async () => undefined);
      await sn.prepare('active2');
      await expect(sn.commit('base', 'active2')).rejects.toMatchObject({ kind: 'AlreadyExists' });
      expect((await sn.stat('active2')).kind).toBe('active');
      await expect(sn.commit('again', 'base')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
      await sn.prepare('child', 'base');
      await expect(sn.remove('base')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
      expect((await sn.stat('base')).kind).toBe('committed');
    });

    it('updates labels under a field mask', async () => {
      await sn.prepare('l', '', { a: '1', b: '2' });
      expect((await sn.stat('l')).labels).toEqual({ a: '1', b: '2' });
      const before = await sn.stat('l');
      const one = await sn.update('l', { a: 'ignored', b: '3', c: '4' }, ['labels.b', 'labels.c']);
      expect(one.labels).toEqual({ a: '1', b: '3', c: '4' });
      expect(one.updatedAt).toBeGreaterThan(before.updatedAt);
      expect((await sn.update('l', {}, ['labels.a'])).labels).toEqual({ b: '3', c: '4' });
      expect((await sn.update('l', { z: '9' })).labels).toEqual({ z: '9' });
      expect((await sn.stat('l')).labels).toEqual({ z: '9' });
      await expect(sn.update('l', {}, ['parent'])).rejects.toMatchObject({ kind: 'InvalidArgument' });
    });

    it('reports usage of the bytes written in a snapshot', async () => {
      const dir = await mountAt(await sn.prepare('u-active'));
      await fs.writeFile(path.join(dir, 'big'), Buffer.alloc(256 * 1024, 7));
      await fs.mkdir(path.join(dir, 'd'));
      await fs.writeFile(path.join(dir, 'd/small'), 'x');
      const active = await sn.usage('u-active');
      expect(active.size).toBeGreaterThanOrEqual(256 * 1024);
      expect(active.inodes).toBeGreaterThanOrEqual(3);
      await unmount(dir);
      await sn.commit('u', 'u-active');
      const committed = await sn.usage('u');
      expect(committed.size).toBeGreaterThanOrEqual(256 * 1024);
      expect(committed.inodes).toBe(active.inodes);
      const empty = await sn.usage((await sn.prepare('empty'), 'empty'));
      expect(empty.size).toBeLessThan(256 * 1024);
    });

    it('walks snapshots with filters', async () => {
      await commitWith('base-active', '', async () => undefined, { tier: 'base' });
      await commitWith('mid-active', 'base', async () => undefined, { tier: 'mid' });
      await sn.prepare('top', 'mid', { tier: 'top' });
      await sn.view('look', 'base');
      const names = async (filters?: string[]) => (await collect(sn.walk(filters))).map((i) => i.name).sort();
      expect(await names()).toEqual(['base', 'look', 'mid', 'top']);
      expect(await names(['kind==committed'])).toEqual(['base', 'mid']);
      expect(await names(['parent==base'])).toEqual(['look', 'mid']);
      expect(await names(['labels.tier==top'])).toEqual(['top']);
      expect(await names(['labels.tier==base', 'kind==view'])).toEqual(['base', 'look']);
      expect(await names(['kind==active,labels.tier==mid'])).toEqual([]);
      const top = (await collect(sn.walk(['name==top'])))[0];
      expect(top).toMatchObject({ name: 'top', parent: 'mid', kind: 'active', labels: { tier: 'top' } });
    });

    it('removes snapshots child first, after which the key can be used again', async () => {
      await commitWith('base-active', '', (d) => fs.writeFile(path.join(d, 'f'), 'x'));
      await sn.prepare('child', 'base');
      await sn.remove('child');
      await expect(sn.stat('child')).rejects.toMatchObject({ kind: 'NotFound' });
      await sn.remove('base');
      expect(await collect(sn.walk())).toEqual([]);
      const dir = await mountAt(await sn.prepare('base'));
      expect(await fs.readdir(dir)).toEqual([]);
    });
  });
}
