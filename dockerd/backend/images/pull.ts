// docker pull: the reference is resolved first (so "manifest unknown" is a 404 before any output),
// then tsctrd's pull runs — layers downloading in parallel and unpacking as they land — while its
// progress is rendered as Docker's JSON messages (one line per layer, keyed by the short digest).
import { checkTag, parseNamed } from '../../wire/reference.js';
import { pull } from '../../../client/images/pull.js';
import type { PullProgress } from '../../../client/images/pull.js';
import type { ImageReference } from '../../../client/remotes/reference.js';
import { parsePlatform } from '../../../client/remotes/platform.js';
import { isNotFound } from '../../../api/errdefs.js';
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import { type JsonMessage, progressMessage, statusMessage } from '../../wire/jsonmessage.js';
import type { Engine } from '../engine.js';
import { DISTRIBUTED_LABEL } from '../images.js';
import { registryFor } from './registry-auth.js';

export interface PullRequest {
  ref: ImageReference;
  auth: string | undefined;
  platform: string | undefined;
}

/** `fromImage` and `tag` as clients send them (the CLI: full name, tag or digest in `tag`). */
export function pullReference(fromImage: string, tag: string): ImageReference {
  if (!fromImage) throw new InvalidParameter('fromImage or fromSrc is required');
  // As dockerd: the name first, then the tag as a digest if it parses as one, else as a tag.
  const named = parseNamed(fromImage);
  if (!tag) return named; // docker pull x (no tag) is x:latest.
  if (/^sha256:[0-9a-f]{64}$/.test(tag)) return parseNamed(`${named.name}@${tag}`);
  checkTag(tag);
  return parseNamed(`${named.name}:${tag}`);
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export async function pullImage(
  e: Engine,
  req: PullRequest,
  write: (m: JsonMessage) => void,
  started: () => void,
): Promise<string> {
  const reg = registryFor(req.auth);
  const ref = req.ref;
  let resolved;
  try {
    resolved = await reg.resolve(ref);
  } catch (err) {
    if (isNotFound(err)) {
      throw new NotFound(`manifest for ${ref.familiar} not found: manifest unknown: manifest unknown`);
    }
    throw err;
  }
  started();
  let before: string | undefined;
  try {
    before = (await e.c.image(resolved.name).get()).target?.digest;
  } catch {
    before = undefined;
  }
  write(
    statusMessage(`Pulling from ${ref.path.replace(/^library\//, '')}`, ref.digest ?? ref.tag ?? 'latest'),
  );
  const last = new Map<string, number>();
  const progress = (p: PullProgress) => {
    if (p.kind !== 'layer') return;
    const id = short(p.digest);
    switch (p.status) {
      case 'waiting':
        write(statusMessage('Pulling fs layer', id));
        break;
      case 'downloading': {
        const now = Date.now();
        if (now - (last.get(id) ?? 0) < 100 && p.offset < p.total) return;
        last.set(id, now);
        write(progressMessage(id, 'Downloading', p.offset, p.total));
        break;
      }
      case 'downloaded':
        write(statusMessage('Verifying Checksum', id));
        write(statusMessage('Download complete', id));
        break;
      case 'exists':
        write(statusMessage('Already exists', id));
        break;
      case 'unpacking':
        write(progressMessage(id, 'Extracting', 0, p.total));
        break;
      case 'unpacked':
        write(progressMessage(id, 'Extracting', p.total, p.total));
        write(statusMessage('Pull complete', id));
        break;
      default:
        break;
    }
  };
  await pull(
    e.c,
    { host: ref.host, repository: ref.path, fetch: (d, offset) => reg.fetch(ref, d, { offset }) },
    resolved.name,
    resolved.descriptor,
    {
      labels: { [DISTRIBUTED_LABEL]: 'true' },
      progress,
      ...(req.platform ? { platform: parsePlatform(req.platform) } : {}),
    },
  );
  write(statusMessage(`Digest: ${resolved.descriptor.digest}`));
  const shown = ref.digest ? `${ref.familiarName}@${ref.digest}` : `${ref.familiarName}:${ref.tag}`;
  write(
    statusMessage(
      before === resolved.descriptor.digest
        ? `Status: Image is up to date for ${shown}`
        : `Status: Downloaded newer image for ${shown}`,
    ),
  );
  e.events.publish('image', 'pull', shown, { name: shown });
  return shown;
}
