// A RUN step: a container made through the backend like any other (the default bridge unless the
// build says otherwise), started with its output forwarded to the build stream, awaited, committed as
// a layer through tsctrd's Diff service, then removed (or kept, with Docker's rm/forcerm rules).
// A client that goes away kills and removes it.
import type { Engine } from '../backend/engine.js';
import { createContainer } from '../backend/containers/create.js';
import { removeContainer } from '../backend/containers/remove.js';
import { startContainer } from '../backend/containers/start.js';
import type { RunIO, StreamKind } from '../backend/run-io.js';
import type { HostConfig } from '../backend/types.js';
import { diffMounts } from '../../client/services/diff.js';
import type { Connection } from '../../client/connection.js';
import type { Layer } from './image-state.js';

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export class BuildCancelled extends Error {
  constructor() {
    super('build cancelled: the client went away');
  }
}

export interface RunSpec {
  image: string;
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  labels: Record<string, string> | null;
  volumes: Record<string, object> | null;
  hostConfig: HostConfig;
}

export interface RunResult {
  id: string;
  code: number;
}

/** Creates the step container (announced through `created` before it starts) and runs it. */
export async function runContainer(
  e: Engine,
  spec: RunSpec,
  o: {
    created: (id: string) => void;
    output: (kind: StreamKind, chunk: Buffer) => void;
    signal: AbortSignal;
  },
): Promise<RunResult> {
  const { Id } = await createContainer(
    e,
    {
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: [''],
      Env: spec.env,
      User: spec.user,
      WorkingDir: spec.workingDir,
      Labels: spec.labels ?? {},
      Volumes: spec.volumes,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: { ...spec.hostConfig, LogConfig: { Type: 'none' } },
    },
    '',
  );
  o.created(Id);
  const rec = e.store.get(Id);
  const rt = e.runtime(Id);
  const exited = new Promise<number>((resolve) => rt.emitter.once('exit', (code: number) => resolve(code)));
  let io: RunIO | undefined;
  rt.emitter.once('start', (run: RunIO) => {
    io = run;
    run.subscribe(o.output);
  });
  const abort = () => {
    void e.c
      .task(Id)
      .kill(9, { all: true })
      .catch(() => undefined);
  };
  if (o.signal.aborted) throw new BuildCancelled();
  o.signal.addEventListener('abort', abort, { once: true });
  try {
    await startContainer(e, rec);
    const code = await exited;
    await io?.ended;
    if (o.signal.aborted) throw new BuildCancelled();
    return { id: Id, code };
  } catch (err) {
    if (o.signal.aborted) {
      await removeContainer(e, rec, { force: true, volumes: true }).catch(() => undefined);
      throw new BuildCancelled();
    }
    throw err;
  } finally {
    o.signal.removeEventListener('abort', abort);
  }
}

/** The layer of what the container changed (uncompressed: its digest is its diff ID). */
export async function snapshotLayer(c: Connection, key: string): Promise<Layer> {
  const mounts = await c.snapshotter().mounts(key);
  const d = await diffMounts(c, [], mounts, { mediaType: LAYER_TAR });
  return { desc: { mediaType: LAYER_TAR, digest: d.digest, size: d.size }, diffId: d.digest };
}

export async function removeStepContainer(e: Engine, id: string): Promise<void> {
  if (!e.store.has(id)) return;
  await removeContainer(e, e.store.get(id), { force: true, volumes: true });
}
