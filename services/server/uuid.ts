import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { readOptional, writeFileAtomic } from '../content/fsutil.js';

/**
 * The server's UUID, made once and kept under root (what `ctr version` prints). A new one is served at
 * once and made durable in the background: the first start does not wait on two fsyncs for it.
 */
export async function serverUuid(root: string, log: Logger): Promise<string> {
  const dir = path.join(root, 'introspection');
  const file = path.join(dir, 'uuid');
  const have = (await readOptional(file))?.trim();
  if (have) return have;
  const id = randomUUID();
  void fs
    .mkdir(dir, { recursive: true })
    .then(() => writeFileAtomic(file, id))
    .catch((e: unknown) => log.warn({ err: e }, 'could not record the server uuid'));
  return id;
}
