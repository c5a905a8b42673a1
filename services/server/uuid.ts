import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readOptional, writeFileAtomic } from '../content/fsutil.js';

/** The server's UUID, made once and kept under root (what `ctr version` prints). */
export async function serverUuid(root: string): Promise<string> {
  const dir = path.join(root, 'introspection');
  const file = path.join(dir, 'uuid');
  const have = (await readOptional(file))?.trim();
  if (have) return have;
  await fs.mkdir(dir, { recursive: true });
  const id = randomUUID();
  await writeFileAtomic(file, id);
  return id;
}
