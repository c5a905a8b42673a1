// GET /containers/{id}/logs: the json-file log, as frames (or raw with a TTY), with tail, since,
// until, timestamps, and follow until the container's current run ends or the client leaves.
import type { Writable } from 'node:stream';
import { InvalidParameter, NotImplemented } from '../../errdefs/index.js';
import { frame } from '../../wire/stdcopy.js';
import { formatTimestamp } from '../../logs/format.js';
import { readLogs } from '../../logs/jsonfile-reader.js';
import { parseLogOpts } from '../../logs/jsonfile-writer.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  tail: number;
  since: bigint;
  until: bigint;
  timestamps: boolean;
}

export function checkLogs(rec: ContainerRecord, o: LogsOptions): void {
  if (!o.stdout && !o.stderr)
    throw new InvalidParameter('Bad parameters: you must choose at least one stream');
  if (!rec.LogPath) {
    throw new NotImplemented(`configured logging driver does not support reading`);
  }
}

export async function streamLogs(
  e: Engine,
  rec: ContainerRecord,
  out: Writable,
  o: LogsOptions,
  signal: AbortSignal,
): Promise<void> {
  const tty = rec.Config.Tty ?? false;
  const { maxFile } = parseLogOpts(rec.HostConfig.LogConfig?.Config ?? {});
  const rt = e.runtime(rec.Id);
  const running = rec.State.Running && rt.run && !rt.run.isEnded;
  const stop =
    o.follow && running
      ? rt.run!.ended.then(() => new Promise<void>((r) => setTimeout(r, 50)))
      : Promise.resolve();
  for await (const entry of readLogs({
    path: rec.LogPath,
    maxFile,
    tail: o.tail,
    since: o.since,
    until: o.until,
    follow: o.follow && !!running,
    signal,
    stop,
  })) {
    if ((entry.stream === 'stdout' && !o.stdout) || (entry.stream === 'stderr' && !o.stderr)) continue;
    const payload = o.timestamps
      ? Buffer.concat([Buffer.from(`${formatTimestamp(entry.time)} `), entry.line])
      : entry.line;
    const data = tty ? payload : frame(entry.stream === 'stdout' ? 1 : 2, payload);
    if (!out.write(data)) await new Promise((r) => out.once('drain', r));
    if (signal.aborted) break;
  }
}
