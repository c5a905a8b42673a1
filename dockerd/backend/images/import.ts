// docker import: a root filesystem tar (plain or gzip) becomes a one-layer image. The layer is
// spooled to a temporary file while its digest is computed, then written to the content store with
// a config (carrying any --change instructions) and a manifest, and unpacked.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { writeBlob } from '../../../client/content.js';
import { storeImage, withLease } from './store-image.js';
import { MediaType } from '../../../client/remotes/media.js';
import { parseReference } from '../../../client/remotes/reference.js';
import { defaultPlatform } from '../../../client/remotes/platform.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';

type ImageConfigBody = Record<string, unknown>;

function shellOrJson(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // not JSON: shell form
    }
  }
  return ['/bin/sh', '-c', t];
}

/** The Dockerfile instructions `docker import --change` allows. */
export function applyChanges(changes: string[]): ImageConfigBody {
  const cfg: ImageConfigBody = {};
  for (const line of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(line);
    if (!m) throw new InvalidParameter(`dockerfile parse error: unknown instruction: ${line}`);
    const [, word, rest] = m;
    switch (word.toUpperCase()) {
      case 'CMD':
        cfg.Cmd = shellOrJson(rest);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = shellOrJson(rest);
        break;
      case 'ENV': {
        const env = (cfg.Env as string[] | undefined) ?? [];
        const eq = rest.indexOf('=');
        env.push(eq > 0 && !/\s/.test(rest.slice(0, eq)) ? rest.trim() : rest.trim().replace(/\s+/, '='));
        cfg.Env = env;
        break;
      }
      case 'WORKDIR':
        cfg.WorkingDir = rest.trim();
        break;
      case 'USER':
        cfg.User = rest.trim();
        break;
      case 'EXPOSE':
        cfg.ExposedPorts = Object.fromEntries(
          rest
            .trim()
            .split(/\s+/)
            .map((p) => [p.includes('/') ? p : `${p}/tcp`, {}]),
        );
        break;
      case 'VOLUME':
        cfg.Volumes = Object.fromEntries(
          shellOrJson(rest)
            .filter((v) => v !== '/bin/sh' && v !== '-c')
            .map((v) => [v, {}]),
        );
        break;
      case 'LABEL': {
        const labels = (cfg.Labels as Record<string, string> | undefined) ?? {};
        const [k, ...v] = rest.trim().split('=');
        labels[k] = v.join('=').replace(/^"(.*)"$/, '$1');
        cfg.Labels = labels;
        break;
      }
      case 'STOPSIGNAL':
        cfg.StopSignal = rest.trim();
        break;
      default:
        throw new InvalidParameter(`${word} is not a valid change command`);
    }
  }
  return cfg;
}

export async function importRootfs(
  e: Engine,
  body: Readable,
  repo: string,
  tag: string,
  changes: string[],
): Promise<string> {
  const config = applyChanges(changes);
  let name: string | undefined;
  if (repo) {
    try {
      name = parseReference(tag ? `${repo}:${tag}` : repo).string;
    } catch (err) {
      throw new InvalidParameter((err as Error).message);
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-import-'));
  try {
    // Spool the upload, then (if gzip) its uncompressed form, hashing it: the digest is both the
    // blob digest and the diff ID of the one layer.
    const raw = path.join(dir, 'upload');
    await pipeline(body, createWriteStream(raw));
    const magic = Buffer.alloc(2);
    const fd = openSync(raw, 'r');
    readSync(fd, magic, 0, 2, 0);
    closeSync(fd);
    let file = raw;
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      file = path.join(dir, 'layer.tar');
      await pipeline(createReadStream(raw), createGunzip(), createWriteStream(file));
    }
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), async function* (src: AsyncIterable<Buffer>) {
      for await (const b of src) hash.update(b);
      yield* [];
    });
    const diffId = `sha256:${hash.digest('hex')}`;
    const size = statSync(file).size;
    return await withLease(e.c, async (c) => {
      await writeBlob(c, `import-${diffId}`, async () => createReadStream(file), {
        total: size,
        expected: diffId,
      });
      const p = defaultPlatform();
      const created = new Date().toISOString();
      const { id } = await storeImage(c, {
        config: {
          architecture: p.architecture,
          os: p.os,
          created,
          config,
          rootfs: { type: 'layers', diff_ids: [diffId] },
          history: [{ created, comment: 'Imported from -' }],
        },
        layers: [{ mediaType: MediaType.DockerLayer, digest: diffId, size }],
        ...(name ? { name } : {}),
      });
      e.events.publish('image', 'import', id, { name: id });
      return id;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
