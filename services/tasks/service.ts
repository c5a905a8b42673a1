// The Tasks gRPC service: a thin adapter over TaskManager.
import type { TasksServer } from '../../api/gen/containerd/services/tasks/v1/tasks.js';
import type { Process } from '../../api/gen/containerd/types/task/task.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { notImplemented } from '../../api/errdefs.js';
import { adapt, parseFilters } from '../filters/index.js';
import type { Edge } from '../server/grpc.js';
import { nowNanos, toProto } from '../metadata/time.js';
import type { ProcessState, TaskManager } from './manager.js';

const proc = (p: ProcessState): Process => ({ containerId: '', ...p });

export function tasksService(edge: Edge, m: TaskManager): TasksServer {
  return {
    create: edge.unary('Tasks.Create', async (req, ctx) => {
      if (req.checkpoint?.digest) throw notImplemented('checkpoint restore is not supported');
      const r = await m.create(ctx.ns(), req);
      return { containerId: req.containerId, pid: r.pid };
    }),
    start: edge.unary('Tasks.Start', async (req, ctx) => ({
      pid: await m.start(ctx.ns(), req.containerId, req.execId),
    })),
    delete: edge.unary('Tasks.Delete', async (req, ctx) => ({
      id: req.containerId,
      ...(await m.delete(ctx.ns(), req.containerId)),
    })),
    deleteProcess: edge.unary('Tasks.DeleteProcess', async (req, ctx) => ({
      id: req.execId,
      ...(await m.deleteProcess(ctx.ns(), req.containerId, req.execId)),
    })),
    get: edge.unary('Tasks.Get', async (req, ctx) => ({
      process: proc(await m.state(ctx.ns(), req.containerId, req.execId)),
    })),
    list: edge.unary('Tasks.List', async (req, ctx) => {
      const filter = parseFilters(req.filter ? [req.filter] : []);
      const tasks = await m.list(ctx.ns());
      return { tasks: tasks.filter((t) => filter.match(adapt({ id: t.id }))).map(proc) };
    }),
    kill: edge.unary('Tasks.Kill', async (req, ctx): Promise<Empty> => {
      await m.kill(ctx.ns(), req.containerId, req.execId, req.signal, req.all);
      return {};
    }),
    exec: edge.unary('Tasks.Exec', async (req, ctx) => {
      await m.exec(ctx.ns(), req.containerId, req.execId, req);
      return {};
    }),
    resizePty: edge.unary('Tasks.ResizePty', async (req, ctx): Promise<Empty> => {
      await m.resize(ctx.ns(), req.containerId, req.execId, req.width, req.height);
      return {};
    }),
    closeIo: edge.unary('Tasks.CloseIO', async (req, ctx): Promise<Empty> => {
      await m.closeIO(ctx.ns(), req.containerId, req.execId, req.stdin);
      return {};
    }),
    pause: edge.unary('Tasks.Pause', async (req, ctx): Promise<Empty> => {
      await m.pause(ctx.ns(), req.containerId);
      return {};
    }),
    resume: edge.unary('Tasks.Resume', async (req, ctx): Promise<Empty> => {
      await m.resume(ctx.ns(), req.containerId);
      return {};
    }),
    listPids: edge.unary('Tasks.ListPids', async (req, ctx) => ({
      processes: (await m.pids(ctx.ns(), req.containerId)).map((p) => ({ pid: p.pid, info: undefined })),
    })),
    checkpoint: edge.unary('Tasks.Checkpoint', async () => {
      throw notImplemented('checkpoint is not supported');
    }),
    update: edge.unary('Tasks.Update', async (req, ctx): Promise<Empty> => {
      await m.update(ctx.ns(), req.containerId, req.resources, req.annotations);
      return {};
    }),
    metrics: edge.unary('Tasks.Metrics', async (req, ctx) => {
      // ctr sends `id==<task>` filters; plain ids are accepted too.
      const ids = req.filters.map((f) => f.replace(/^id==/, '')).filter(Boolean);
      const now = toProto(nowNanos());
      return {
        metrics: (await m.metrics(ctx.ns(), ids)).map((x) => ({ timestamp: now, id: x.id, data: x.data })),
      };
    }),
    wait: edge.unary('Tasks.Wait', async (req, ctx) => m.wait(ctx.ns(), req.containerId, req.execId)),
  };
}
