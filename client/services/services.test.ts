// The service helpers' requests and results, against an in-process gRPC server.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ContentService,
  InfoResponse,
  UpdateResponse,
} from '../../api/gen/containerd/services/content/v1/content.js';
import { ApplyResponse, DiffResponse, DiffService } from '../../api/gen/containerd/services/diff/v1/diff.js';
import { Envelope, EventsService } from '../../api/gen/containerd/services/events/v1/events.js';
import {
  ContainersService,
  GetContainerResponse,
  UpdateContainerResponse,
} from '../../api/gen/containerd/services/containers/v1/containers.js';
import { CreateImageResponse, ImagesService } from '../../api/gen/containerd/services/images/v1/images.js';
import { status } from '@grpc/grpc-js';
import { Connection } from '../connection.js';
import { type Req, FakeServer, StatusError } from '../testing/fake-server.js';
import { SPEC_TYPE_URL, specOf } from './containers.js';
import { contentInfo, setContentLabels } from './content.js';
import { applyLayer, diffMounts } from './diff.js';
import { subscribe } from './events.js';

let imageCreates = 0;
const spec = { ociVersion: '1.1.0', process: { args: ['sh'] } };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'sha256:aa', size: 10 };

const server = new FakeServer({
  content: {
    definition: ContentService,
    unary: {
      info: (r: Req) => InfoResponse.fromPartial({ info: { digest: String(r.digest), size: 5 } }),
      update: (r: Req) => UpdateResponse.fromPartial({ info: r.info as { digest: string } }),
    },
  },
  diff: {
    definition: DiffService,
    unary: {
      diff: () => DiffResponse.fromPartial({ diff: layer }),
      apply: () => ApplyResponse.fromPartial({ applied: { ...layer, digest: 'sha256:bb' } }),
    },
  },
  events: {
    definition: EventsService,
    openStreams: {
      subscribe: () => [
        Envelope.fromPartial({ namespace: 'n', topic: '/tasks/create' }),
        Envelope.fromPartial({ namespace: 'n', topic: '/tasks/start' }),
      ],
    },
  },
  // An image record another client deletes between this one's create and update (an rmi racing a
  // pull): the first create finds it, the update does not, the second create succeeds.
  images: {
    definition: ImagesService,
    unary: {
      create: (r: Req) => {
        if (imageCreates++ === 0)
          throw new StatusError(status.ALREADY_EXISTS, 'image "racy": already exists');
        return CreateImageResponse.fromPartial({ image: r.image as { name: string } });
      },
      update: () => {
        throw new StatusError(status.NOT_FOUND, 'image "racy"');
      },
    },
  },
  containers: {
    definition: ContainersService,
    unary: {
      get: (r: Req) =>
        GetContainerResponse.fromPartial({
          container: {
            id: String(r.id),
            spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) },
          },
        }),
      update: (r: Req) => UpdateContainerResponse.fromPartial({ container: r.container as { id: string } }),
    },
  },
});

let c: Connection;

beforeAll(async () => {
  await server.start();
  c = new Connection({ address: server.address, namespace: 'svc' });
});

afterAll(async () => {
  c.close();
  await server.stop();
});

beforeEach(() => {
  server.calls.length = 0;
});

describe('images', () => {
  it('put creates the record again when it is deleted between its create and its update', async () => {
    const img = await c.image('racy').put({ target: layer });
    expect(img.name).toBe('racy');
    expect(server.calls.map((x) => x.method)).toEqual(['images.create', 'images.update', 'images.create']);
  });
});

describe('content', () => {
  it('sets labels with one update path per label', async () => {
    const info = await setContentLabels(c, 'sha256:aa', { a: '1', 'containerd.io/gc.ref.content.l.0': 'x' });
    expect(info.labels).toEqual({ a: '1', 'containerd.io/gc.ref.content.l.0': 'x' });
    expect(server.of('content.update')[0].request).toMatchObject({
      info: { digest: 'sha256:aa', size: 0 },
      updateMask: ['labels.a', 'labels.containerd.io/gc.ref.content.l.0'],
    });
    expect((await contentInfo(c, 'sha256:aa')).size).toBe(5);
  });
});

describe('diff', () => {
  it('diffs two mounts without a deadline, and applies a layer', async () => {
    const upper = [{ type: 'bind', source: '/s', target: '', options: ['rbind'] }];
    expect(await diffMounts(c, [], upper, { mediaType: layer.mediaType })).toEqual({
      ...layer,
      annotations: {},
    });
    expect(server.of('diff.diff')[0]).toMatchObject({
      request: { left: [], right: upper, mediaType: layer.mediaType, ref: '', labels: {} },
      hasDeadline: false,
    });
    expect((await applyLayer(c, layer, upper)).digest).toBe('sha256:bb');
    expect(server.of('diff.apply')[0].request).toMatchObject({
      diff: { ...layer, annotations: {} },
      mounts: upper,
    });
  });
});

describe('events', () => {
  it('yields envelopes and ends quietly when aborted', async () => {
    const stop = new AbortController();
    const topics: string[] = [];
    for await (const e of subscribe(c, ['topic~="/tasks/"'], stop.signal)) {
      topics.push(e.topic);
      if (topics.length === 2) stop.abort();
    }
    expect(topics).toEqual(['/tasks/create', '/tasks/start']);
    expect(server.of('events.subscribe')[0]).toMatchObject({
      request: { filters: ['topic~="/tasks/"'] },
      namespace: 'svc',
    });
  });
});

describe('containers', () => {
  it('reads and replaces the OCI spec of a record', async () => {
    const h = c.container('ctr');
    expect(await h.spec()).toEqual(spec);
    const rec = await h.get();
    expect(specOf(rec)).toEqual(spec);
    const next = { ...spec, process: { args: ['true'] } };
    const updated = await h.setSpec(rec, next);
    expect(specOf(updated)).toEqual(next);
    expect(server.of('containers.update')[0].request).toMatchObject({
      updateMask: ['spec'],
      container: { id: 'ctr' },
    });
  });
});
