// docker push: every tag of the repository (or the one asked for) is pushed from tsctrd's content
// store, with Docker's JSON progress and the aux {Tag, Digest, Size} line the CLI prints.
import { pushImage } from '../../../client/images/push.js';
import type { PullProgress } from '../../../client/images/pull.js';
import { parseReference } from '../../../client/remotes/reference.js';
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import { type JsonMessage, auxMessage, progressMessage, statusMessage } from '../../wire/jsonmessage.js';
import type { Engine } from '../engine.js';
import { DISTRIBUTED_LABEL } from '../images.js';
import { registryFor } from './registry-auth.js';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export async function pushRepository(
  e: Engine,
  name: string,
  tag: string,
  auth: string | undefined,
  write: (m: JsonMessage) => void,
): Promise<void> {
  let repo;
  try {
    repo = parseReference(name);
  } catch (err) {
    throw new InvalidParameter((err as Error).message);
  }
  write(statusMessage(`The push refers to repository [${repo.name.replace(/^docker\.io\//, 'docker.io/')}]`));
  const records = await e.images.records();
  const tags = tag
    ? [tag]
    : records
        .map((r) => {
          try {
            const p = parseReference(r.name);
            return p.name === repo.name && p.tag && !p.digest ? p.tag : undefined;
          } catch {
            return undefined;
          }
        })
        .filter((t): t is string => !!t);
  if (tags.length === 0)
    throw new NotFound(`An image does not exist locally with the tag: ${repo.familiarName}`);
  const reg = registryFor(auth);
  for (const t of tags) {
    const full = `${repo.name}:${t}`;
    const rec = records.find((r) => r.name === full);
    if (!rec) throw new NotFound(`An image does not exist locally with the tag: ${repo.familiarName}`);
    const progress = (p: PullProgress) => {
      if (p.kind !== 'layer') return;
      const id = short(p.digest);
      if (p.status === 'waiting') write(statusMessage('Preparing', id));
      else if (p.status === 'downloaded') {
        write(progressMessage(id, 'Pushing', p.total, p.total));
        write(statusMessage('Pushed', id));
      } else if (p.status === 'exists') write(statusMessage('Layer already exists', id));
    };
    const digest = await pushImage(e.c, reg, full, full, progress);
    const { manifestDesc } = await e.images.load(rec.target);
    const size = manifestDesc.digest === digest ? manifestDesc.size : rec.target.size;
    write(statusMessage(`${t}: digest: ${digest} size: ${size}`));
    write(auxMessage({ Tag: t, Digest: digest, Size: size }));
    await e.c
      .image(full)
      .update({ target: rec.target, labels: { ...rec.labels, [DISTRIBUTED_LABEL]: 'true' } }, [
        `labels.${DISTRIBUTED_LABEL}`,
      ])
      .catch(() => undefined);
    e.events.publish('image', 'push', `${repo.familiarName}:${t}`, { name: `${repo.familiarName}:${t}` });
  }
}
