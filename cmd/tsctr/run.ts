// tsctr run: create a container from an image and run its task, attached (or -d), like ctr run.
import { type Command, UsageError, parseHead, withConnection } from './common.js';
import { createContainer, deleteContainer } from '../../client/tasks/container.js';
import { makeFifos } from '../../client/tasks/fifo.js';
import { DEFAULT_SNAPSHOTTER } from '../../client/snapshotter.js';
import type { Mount } from '../../client/spec/index.js';
import { parseSize } from './size.js';

function parseMount(s: string): Mount {
  const kv = Object.fromEntries(s.split(',').map((p) => p.split('=') as [string, string]));
  if (!kv.dst && !kv.destination) throw new UsageError(`--mount ${s}: destination (dst=) is required`);
  return {
    type: kv.type ?? 'bind',
    source: kv.src ?? kv.source ?? '',
    destination: kv.dst ?? kv.destination,
    options: (kv.options ?? (kv.type === 'bind' || !kv.type ? 'rbind:rw' : '')).split(':').filter(Boolean),
  };
}

export const run: Command = async (g, args) => {
  const { values, positionals } = parseHead(
    args,
    {
      tty: { type: 'boolean', short: 't' },
      detach: { type: 'boolean', short: 'd' },
      rm: { type: 'boolean' },
      env: { type: 'string', multiple: true },
      mount: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      user: { type: 'string', short: 'u' },
      'memory-limit': { type: 'string' },
      cpus: { type: 'string' },
      label: { type: 'string', multiple: true },
      snapshotter: { type: 'string' },
    },
    2,
  );
  const [image, id, ...cmd] = positionals;
  if (!image || !id)
    throw new UsageError(
      'run [-d] [--rm] [--env K=V] [--mount …] [--cwd D] [--user U] [--memory-limit N] [--cpus N] IMAGE ID [CMD…]',
    );
  return withConnection(g, async (c) => {
    await createContainer(c, {
      id,
      image,
      args: cmd,
      env: (values.env as string[] | undefined) ?? [],
      ...(values.cwd ? { cwd: values.cwd } : {}),
      ...(values.user ? { user: values.user } : {}),
      ...(values['memory-limit'] ? { memoryBytes: parseSize(values['memory-limit']) } : {}),
      ...(values.cpus ? { cpus: Number(values.cpus) } : {}),
      mounts: ((values.mount as string[] | undefined) ?? []).map(parseMount),
      labels: Object.fromEntries(
        ((values.label as string[] | undefined) ?? []).map((l) => [
          l.split('=')[0],
          l.split('=').slice(1).join('='),
        ]),
      ),
      snapshotter: values.snapshotter ?? DEFAULT_SNAPSHOTTER,
      tty: values.tty ?? false,
    });
    const container = await c.container(id).get();
    const mounts = await c.snapshotter(container.snapshotter).mounts(id);
    const task = c.task(id);
    const detach = values.detach ?? false;
    const tty = values.tty ?? false;
    const io = detach ? undefined : await makeFifos(id, true);
    try {
      await task.create({
        rootfs: mounts,
        stdin: io?.stdin ?? '',
        stdout: io?.stdout ?? '',
        stderr: tty ? '' : (io?.stderr ?? ''),
        terminal: tty,
      });
      if (detach) {
        await task.start();
        return 0;
      }
      const waiting = task.wait();
      // With -t our terminal goes raw and every key goes to the container's terminal.
      const raw = tty && process.stdin.isTTY;
      if (raw) process.stdin.setRawMode(true);
      const attached = io!.attach(
        process.stdin.isTTY && !tty ? undefined : process.stdin,
        process.stdout,
        process.stderr,
        () => {
          void task.closeStdin().catch(() => undefined);
        },
      );
      await task.start();
      if (tty && process.stdout.isTTY) {
        const resize = () =>
          void task.resizePty(process.stdout.columns, process.stdout.rows).catch(() => undefined);
        resize();
        process.stdout.on('resize', resize);
      }
      const forward = (sig: NodeJS.Signals, n: number) =>
        process.on(sig, () => void task.kill(n).catch(() => undefined));
      forward('SIGINT', 2);
      forward('SIGTERM', 15);
      forward('SIGHUP', 1);
      const { exitStatus } = await waiting;
      // Output ends with the process; do not hang on a writer that lingers (a child holding the FIFO).
      await Promise.race([attached, new Promise((r) => setTimeout(r, 2000).unref())]);
      if (raw) process.stdin.setRawMode(false);
      process.stdin.destroy();
      await task.delete();
      if (values.rm) await deleteContainer(c, id);
      return exitStatus;
    } catch (e) {
      if (values.rm || !detach) {
        await task.delete().catch(() => undefined);
        if (values.rm) await deleteContainer(c, id).catch(() => undefined);
      }
      throw e;
    } finally {
      io?.close();
    }
  });
};
