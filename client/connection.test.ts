// The call context on the wire: namespace and lease per view of one connection, `withLease`, and the
// typed handles' requests, checked against an in-process gRPC server.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAlreadyExists, isNotFound } from '../api/errdefs.js';
import {
  CreateResponse,
  LeasesService,
  ListResponse,
} from '../api/gen/containerd/services/leases/v1/leases.js';
import {
  CreateImageResponse,
  GetImageResponse,
  ImagesService,
  UpdateImageResponse,
} from '../api/gen/containerd/services/images/v1/images.js';
import {
  ListSnapshotsResponse,
  MountsResponse,
  PrepareSnapshotResponse,
  SnapshotsService,
  UsageResponse,
} from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import {
  CreateTaskResponse,
  StartResponse,
  TasksService,
  WaitResponse,
} from '../api/gen/containerd/services/tasks/v1/tasks.js';
import { Connection } from './connection.js';
import { listLeases } from './leases.js';
import { type Req, FakeServer, StatusError } from './testing/fake-server.js';

const overlay = { type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/l'] };
let mountsAnswer = [overlay];
const target = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:ab', size: 3 };

const server = new FakeServer({
  leases: {
    definition: LeasesService,
    unary: {
      create: (r: Req) => CreateResponse.fromPartial({ lease: { id: String(r.id), labels: {} } }),
      delete: () => ({}),
      list: () => ListResponse.fromPartial({ leases: [{ id: 'l1', labels: { a: 'b' } }] }),
    },
  },
  images: {
    definition: ImagesService,
    unary: {
      get: (r: Req) => {
        if (r.name === 'missing') throw new StatusError(status.NOT_FOUND, 'image "missing": not found');
        return GetImageResponse.fromPartial({ image: { name: String(r.name), target } });
      },
      create: (r: Req) => {
        const image = r.image as { name: string };
        if (image.name === 'taken')
          throw new StatusError(status.ALREADY_EXISTS, 'image "taken": already exists');
        return CreateImageResponse.fromPartial({ image });
      },
      update: (r: Req) => UpdateImageResponse.fromPartial({ image: r.image as { name: string } }),
    },
  },
  snapshots: {
    definition: SnapshotsService,
    unary: {
      prepare: () => PrepareSnapshotResponse.fromPartial({ mounts: [overlay] }),
      mounts: () => MountsResponse.fromPartial({ mounts: mountsAnswer }),
      remove: () => ({}),
      usage: () => UsageResponse.fromPartial({ size: 42, inodes: 7 }),
    },
    streams: {
      list: () => [
        ListSnapshotsResponse.fromPartial({ info: [{ name: 'a' }, { name: 'b' }] }),
        ListSnapshotsResponse.fromPartial({ info: [{ name: 'c' }] }),
      ],
    },
  },
  tasks: {
    definition: TasksService,
    unary: {
      create: (r: Req) => CreateTaskResponse.fromPartial({ containerId: String(r.containerId), pid: 99 }),
      start: () => StartResponse.fromPartial({ pid: 100 }),
      kill: () => ({}),
      wait: () => WaitResponse.fromPartial({ exitStatus: 3 }),
      resizePty: () => ({}),
    },
  },
});

let c: Connection;

beforeAll(async () => {
  await server.start();
  c = new Connection({ address: server.address, namespace: 'ns1' });
});

afterAll(async () => {
  c.close();
  await server.stop();
});

beforeEach(() => {
  server.calls.length = 0;
});

describe('call context', () => {
  it('carries the connection namespace and no lease by default', async () => {
    await c.image('x').get();
    expect(server.of('images.get')).toMatchObject([{ namespace: 'ns1', lease: undefined }]);
  });

  it('gives views on the same channel with another namespace or lease, leaving the original alone', async () => {
    const other = c.withNamespace('ns2');
    const leased = c.with({ lease: 'L' });
    expect(other.images).toBe(c.images);
    expect(leased.snapshots).toBe(c.snapshots);
    await other.image('x').get();
    await leased.image('x').get();
    await c.image('x').get();
    expect(server.of('images.get').map((x) => [x.namespace, x.lease])).toEqual([
      ['ns2', undefined],
      ['ns1', 'L'],
      ['ns1', undefined],
    ]);
    expect(c.with({ namespace: 'ns3' }).with({}).lease).toBeUndefined();
    expect(leased.with({ namespace: 'ns3' }).lease).toBe('L');
    expect(leased.withNamespace('ns3').lease).toBeUndefined();
  });

  it('does not close the shared channel when a view is closed', async () => {
    c.with({ lease: 'L' }).close();
    await expect(c.image('x').get()).resolves.toMatchObject({ name: 'x' });
  });

  it('maps gRPC statuses to typed errors', async () => {
    const err = await c
      .image('missing')
      .get()
      .catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });
});

describe('withLease', () => {
  it('creates a lease, runs the work under it on the same channel, and deletes it', async () => {
    const seen: string[] = [];
    const out = await c.withLease(
      async (lc) => {
        seen.push(lc.lease ?? '');
        expect(lc.images).toBe(c.images);
        await lc.image('x').get();
        return 'done';
      },
      { id: 'work-1', labels: { owner: 'me' } },
    );
    expect(out).toBe('done');
    expect(seen).toEqual(['work-1']);
    expect(server.calls.map((x) => [x.method, x.namespace, x.lease])).toEqual([
      ['leases.create', 'ns1', undefined],
      ['images.get', 'ns1', 'work-1'],
      ['leases.delete', 'ns1', undefined],
    ]);
    const created = server.of('leases.create')[0].request as { id: string; labels: Record<string, string> };
    expect(created.id).toBe('work-1');
    expect(created.labels.owner).toBe('me');
    expect(Date.parse(created.labels['containerd.io/gc.expire'])).toBeGreaterThan(Date.now());
    expect(server.of('leases.delete')[0].request).toMatchObject({ id: 'work-1', sync: false });
  });

  it('deletes the lease when the work fails, and rethrows', async () => {
    const err = await c
      .withLease(async (lc) => {
        await lc.image('missing').get();
      })
      .catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
    const [created] = server.of('leases.create');
    expect(server.of('leases.delete')).toMatchObject([
      { request: { id: (created.request as { id: string }).id } },
    ]);
  });

  it('keeps the lease when asked to', async () => {
    const id = await c.withLease(async (lc) => lc.lease, { keep: true });
    expect(id).toBeTruthy();
    expect(server.of('leases.delete')).toEqual([]);
  });

  it('keeps concurrent pieces of work apart', async () => {
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        c.withLease(
          async (lc) => {
            await new Promise((r) => setTimeout(r, 5));
            await lc.image(id).get();
          },
          { id },
        ),
      ),
    );
    for (const x of server.of('images.get')) expect(x.lease).toBe((x.request as { name: string }).name);
  });
});

describe('typed handles', () => {
  it('binds the snapshotter name (overlayfs by default) to every call', async () => {
    const sn = c.snapshotter();
    expect(sn.name).toBe('overlayfs');
    expect(await sn.prepare('k', 'p', { a: '1' })).toEqual([overlay]);
    expect(await c.snapshotter('native').mounts('k')).toEqual([overlay]);
    expect(await sn.usage('k')).toEqual({ size: 42, inodes: 7 });
    expect((await sn.walk(['kind==active'])).map((i) => i.name)).toEqual(['a', 'b', 'c']);
    await sn.remove('k');
    expect(server.calls.map((x) => [x.method, x.request])).toEqual([
      ['snapshots.prepare', { snapshotter: 'overlayfs', key: 'k', parent: 'p', labels: { a: '1' } }],
      ['snapshots.mounts', { snapshotter: 'native', key: 'k' }],
      ['snapshots.usage', { snapshotter: 'overlayfs', key: 'k' }],
      ['snapshots.list', { snapshotter: 'overlayfs', filters: ['kind==active'] }],
      ['snapshots.remove', { snapshotter: 'overlayfs', key: 'k' }],
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)('mounts a snapshot for the length of a function', async () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'tsctr-snap-src-'));
    writeFileSync(path.join(src, 'f'), 'in the snapshot');
    mountsAnswer = [{ type: 'bind', source: src, target: '', options: ['rw', 'rbind'] }];
    try {
      let dir = '';
      const text = await c.snapshotter().withTempMount(
        'k',
        async (d) => {
          dir = d;
          expect(() => writeFileSync(path.join(d, 'g'), 'x')).toThrow(/EROFS/);
          return readFileSync(path.join(d, 'f'), 'utf8');
        },
        { readonly: true },
      );
      expect(text).toBe('in the snapshot');
      expect(existsSync(dir)).toBe(false);
      expect(server.of('snapshots.mounts')[0].request).toEqual({ snapshotter: 'overlayfs', key: 'k' });
    } finally {
      mountsAnswer = [overlay];
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('fills task requests with containerd defaults, and waits without a deadline', async () => {
    const t = c.task('ctr');
    expect(await t.create({ rootfs: [overlay], stdout: '/o' })).toBe(99);
    expect(await t.start()).toBe(100);
    await t.kill(9, { all: true });
    await t.resizePty(80, 24, 'e1');
    expect(await t.wait('e1')).toEqual({ exitStatus: 3, exitedAt: undefined });
    expect(server.of('tasks.create')[0].request).toMatchObject({
      containerId: 'ctr',
      rootfs: [overlay],
      stdin: '',
      stdout: '/o',
      stderr: '',
      terminal: false,
    });
    expect(server.of('tasks.start')[0].request).toEqual({ containerId: 'ctr', execId: '' });
    expect(server.of('tasks.kill')[0].request).toEqual({
      containerId: 'ctr',
      execId: '',
      signal: 9,
      all: true,
    });
    expect(server.of('tasks.resizePty')[0].request).toEqual({
      containerId: 'ctr',
      execId: 'e1',
      width: 80,
      height: 24,
    });
    expect(server.of('tasks.start')[0].hasDeadline).toBe(true);
    expect(server.of('tasks.wait')[0].hasDeadline).toBe(false);
  });

  it('puts an image record: created, or updated where one exists', async () => {
    await c.image('new').put({ target });
    await c.image('taken').put({ target, labels: { l: 'v' } }, ['target']);
    await expect(c.image('taken').create({ target })).rejects.toSatisfy(isAlreadyExists);
    expect(server.calls.map((x) => x.method)).toEqual([
      'images.create',
      'images.create',
      'images.update',
      'images.create',
    ]);
    expect(server.of('images.update')[0].request).toMatchObject({
      image: { name: 'taken', labels: { l: 'v' }, target: { ...target, annotations: {} } },
      updateMask: ['target'],
    });
  });

  it('lists leases', async () => {
    expect(await listLeases(c, ['labels."a"'])).toEqual([
      { id: 'l1', labels: { a: 'b' }, createdAt: undefined },
    ]);
    expect(server.of('leases.list')[0].request).toEqual({ filters: ['labels."a"'] });
  });
});
