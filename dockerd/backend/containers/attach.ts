// Attaching a client's hijacked connection to a container: its output (multiplexed frames, or raw
// bytes with a TTY) from the current run, or from the next one when it is not running yet (the CLI
// attaches before it starts); its input to the run's stdin, honouring StdinOnce and detach keys.
import type { Duplex } from 'node:stream';
import { frame } from '../../wire/stdcopy.js';
import { readLogs } from '../../logs/jsonfile-reader.js';
import { parseLogOpts } from '../../logs/jsonfile-writer.js';
import type { Engine } from '../engine.js';
import type { RunIO, StreamKind } from '../run-io.js';
import type { ContainerRecord } from '../types.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  detachKeys?: string;
}

/** `ctrl-p,ctrl-q` → [0x10, 0x11]; `a,ctrl-@` → [0x61, 0x00]. */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map((k) => {
    const key = k.trim();
    if (/^ctrl-.$/i.test(key)) {
      const ch = key.slice(5);
      if (ch === '@') return 0;
      if (/^[a-z]$/i.test(ch)) return ch.toLowerCase().charCodeAt(0) - 96;
      const special: Record<string, number> = { '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (ch in special) return special[ch];
    }
    if (key.length === 1) return key.charCodeAt(0);
    throw new Error(`Invalid detach keys (${spec}) provided`);
  });
}

/** Passes input through, holding back a possible detach sequence; calls `onDetach` when it completes. */
export function escapeFilter(keys: number[], onDetach: () => void): (b: Buffer) => Buffer {
  let matched = 0;
  return (b) => {
    const out: number[] = [];
    for (const byte of b) {
      if (keys.length > 0 && byte === keys[matched]) {
        matched++;
        if (matched === keys.length) {
          matched = 0;
          onDetach();
          return Buffer.from(out);
        }
        continue;
      }
      if (matched > 0) {
        out.push(...keys.slice(0, matched));
        matched = 0;
      }
      out.push(byte);
    }
    return Buffer.from(out);
  };
}

function writer(sock: Duplex, tty: boolean, o: AttachOptions) {
  return (stream: StreamKind, chunk: Buffer) => {
    if ((stream === 'stdout' && !o.stdout) || (stream === 'stderr' && !o.stderr)) return;
    if (sock.destroyed || sock.writableEnded) return;
    sock.write(tty ? chunk : frame(stream === 'stdout' ? 1 : 2, chunk));
  };
}

export async function attachContainer(
  e: Engine,
  rec: ContainerRecord,
  sock: Duplex,
  o: AttachOptions,
): Promise<void> {
  const rt = e.runtime(rec.Id);
  const tty = rec.Config.Tty ?? false;
  const write = writer(sock, tty, o);
  const cleanups: Array<() => void> = [];
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    for (const c of cleanups.splice(0)) c();
    if (!sock.destroyed) sock.end();
  };
  sock.on('close', finish);
  sock.on('error', finish);

  if (o.logs && rec.LogPath) {
    const { maxFile } = parseLogOpts(rec.HostConfig.LogConfig?.Config ?? {});
    for await (const entry of readLogs({ path: rec.LogPath, maxFile, tail: -1 }))
      write(entry.stream, entry.line);
  }
  if (!o.stream) {
    finish();
    return;
  }

  // Input: to the run's stdin when there is one, or kept until the run starts.
  if (o.stdin && rec.Config.OpenStdin) {
    const keys = tty ? parseDetachKeys(o.detachKeys || 'ctrl-p,ctrl-q') : [];
    const filter = escapeFilter(keys, () => {
      e.containerEvent(rec, 'detach');
      finish();
    });
    sock.on('data', (b: Buffer) => {
      const data = filter(b);
      if (data.length === 0) return;
      if (rt.run && !rt.run.isEnded) rt.run.writeStdin(data);
      else rt.pendingStdin.push(data);
    });
    sock.on('end', () => {
      // The client closed its input (half-close): with StdinOnce, so does the container's stdin.
      if (!rec.Config.StdinOnce) return;
      if (rt.run && !rt.run.isEnded) rt.run.closeStdin();
      else rt.pendingStdinClosed = true;
    });
  } else {
    sock.on('data', () => undefined);
    sock.on('end', () => undefined);
  }

  const follow = (io: RunIO) => {
    cleanups.push(io.subscribe(write));
    void io.ended.then(() => setImmediate(finish));
  };
  if (rt.run && !rt.run.isEnded && rec.State.Running) follow(rt.run);
  else {
    const onStart = (io: RunIO) => follow(io);
    // A run that fails to start ends the session too.
    const onExit = () => setImmediate(finish);
    rt.emitter.once('start', onStart);
    rt.emitter.once('exit', onExit);
    rt.emitter.once('removed', onExit);
    cleanups.push(() => {
      rt.emitter.off('start', onStart);
      rt.emitter.off('exit', onExit);
      rt.emitter.off('removed', onExit);
    });
  }
  e.containerEvent(rec, 'attach');
}
