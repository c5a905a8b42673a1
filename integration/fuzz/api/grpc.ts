// Random and mutated messages to tsctrd's gRPC services, through the generated codecs: a message
// is the method's default request with its string fields set from a dictionary, sent as is or with
// its bytes mutated. All in namespaces of the fuzzer's own (never `moby` or `default`). Calls that
// could mount or run host paths are made harmless after decoding: a task's container id is one no
// container has, a diff has no mounts. A status UNKNOWN or INTERNAL is a finding (the gRPC 5xx).
import { Client, credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { ContainersService } from '../../../api/gen/containerd/services/containers/v1/containers.js';
import { ContentService } from '../../../api/gen/containerd/services/content/v1/content.js';
import { DiffService } from '../../../api/gen/containerd/services/diff/v1/diff.js';
import { ImagesService } from '../../../api/gen/containerd/services/images/v1/images.js';
import { LeasesService } from '../../../api/gen/containerd/services/leases/v1/leases.js';
import { NamespacesService } from '../../../api/gen/containerd/services/namespaces/v1/namespace.js';
import { SnapshotsService } from '../../../api/gen/containerd/services/snapshots/v1/snapshots.js';
import { TasksService } from '../../../api/gen/containerd/services/tasks/v1/tasks.js';
import { mutateBytes } from '../mutate.js';
import type { Rng } from '../../rng.js';

interface Method {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(v: never): Buffer;
  requestDeserialize(b: Buffer): unknown;
}

const SERVICES = [
  ContainersService,
  ContentService,
  DiffService,
  ImagesService,
  LeasesService,
  NamespacesService,
  SnapshotsService,
  TasksService,
] as unknown as Array<Record<string, Method>>;

export const METHODS: Method[] = SERVICES.flatMap((s) => Object.values(s));

const WORDS = [
  '',
  'fz-1',
  'fz-2',
  '../../x',
  'a/b',
  'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'sha256:zz',
  'overlayfs',
  'native',
  'fz-snapshotter',
  'application/vnd.oci.image.manifest.v1+json',
  'labels.a==b',
  'name~="["',
  '\u0000',
  'x'.repeat(5000),
];
const NAMESPACES = ['fz-ns', 'fz-ns', 'fz-ns2', '', 'Fz Ns', 'f'.repeat(300)];

type Msg = Record<string, unknown>;

/** Sets the message's string fields (and those of nested messages) from the dictionary. */
function fill(m: Msg, rng: Rng, depth = 0): void {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string' && rng.int(3) !== 0) m[k] = rng.pick(WORDS);
    else if (typeof v === 'number' && rng.int(4) === 0) m[k] = rng.pick([0, 1, -1, 2 ** 31, 2 ** 53]);
    else if (typeof v === 'boolean') m[k] = rng.bool();
    else if (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && depth < 3)
      fill(v as Msg, rng, depth + 1);
  }
}

/** Whatever the bytes decode to, nothing host-side is named (see the header). */
function defuse(m: Method, msg: Msg, unique: string): Msg {
  if (m.path.includes('.tasks.v1.Tasks/')) {
    if ('containerId' in msg) msg.containerId = unique;
    if ('rootfs' in msg) msg.rootfs = [];
    if ('checkpoint' in msg) msg.checkpoint = undefined;
  }
  if (m.path.includes('.diff.v1.Diff/')) {
    for (const k of ['mounts', 'left', 'right']) if (k in msg) msg[k] = [];
  }
  return msg;
}

export interface GrpcResult {
  method: string;
  code: number;
  details: string;
}

export class GrpcFuzzer {
  private readonly client: Client;
  private readonly unique = `fz-never-${Date.now()}`;

  constructor(address: string) {
    this.client = new Client(`unix://${address}`, credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  message(m: Method, rng: Rng): Buffer {
    let base: Msg;
    try {
      base = m.requestDeserialize(Buffer.alloc(0)) as Msg;
    } catch {
      base = {};
    }
    fill(base, rng);
    let bytes: Buffer;
    try {
      bytes = m.requestSerialize(base as never);
    } catch {
      // A number out of the field's range (the codec refuses it): the default message then.
      bytes = m.requestSerialize(m.requestDeserialize(Buffer.alloc(0)) as never);
    }
    if (rng.int(3) === 0)
      bytes = mutateBytes(rng, bytes, { maxLen: 4096, dict: WORDS.map((w) => Buffer.from(w)) });
    let decoded: Msg;
    try {
      decoded = m.requestDeserialize(bytes) as Msg;
    } catch {
      // tsctrd decodes with the same codec: it refuses these bytes before doing anything.
      return bytes;
    }
    try {
      return m.requestSerialize(defuse(m, decoded, this.unique) as never);
    } catch {
      return bytes;
    }
  }

  call(m: Method, rng: Rng): Promise<GrpcResult> {
    const md = new Metadata();
    const ns = rng.pick(NAMESPACES);
    if (ns) md.set('containerd-namespace', ns);
    const id = (b: Buffer) => b;
    const deadline = new Date(Date.now() + 3000);
    return new Promise((resolve) => {
      const done = (err: ServiceError | null) =>
        resolve({ method: m.path, code: err ? err.code : Status.OK, details: err?.details ?? '' });
      if (!m.requestStream && !m.responseStream) {
        this.client.makeUnaryRequest(m.path, id, id, this.message(m, rng), md, { deadline }, (err) =>
          done(err),
        );
        return;
      }
      if (!m.requestStream) {
        const s = this.client.makeServerStreamRequest(m.path, id, id, this.message(m, rng), md, { deadline });
        let n = 0;
        s.on('data', () => {
          if (++n > 1000) s.cancel();
        });
        s.on('error', (err: ServiceError) => done(err));
        s.on('end', () => done(null));
        return;
      }
      const s = this.client.makeBidiStreamRequest(m.path, id, id, md, { deadline });
      s.on('data', () => undefined);
      s.on('error', (err: ServiceError) => done(err));
      s.on('end', () => done(null));
      for (let i = 0, n = 1 + rng.int(3); i < n; i++) s.write(this.message(m, rng));
      s.end();
    });
  }
}

/**
 * gRPC's 5xx: a status the server sends for its own failures. One INTERNAL is documented: bytes
 * that do not decode as the request message (grpc-go, hence containerd, answers INTERNAL "grpc: error
 * unmarshalling request"; grpc-js "Error deserializing request").
 */
export function grpcServerFault(code: number, details: string): boolean {
  if (code === Status.INTERNAL && details === 'Error deserializing request') return false;
  return code === Status.UNKNOWN || code === Status.INTERNAL || code === Status.DATA_LOSS;
}
