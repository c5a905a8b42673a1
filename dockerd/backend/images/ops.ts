// The image endpoints other than pull and push: list, inspect, history, tag, remove, prune — over
// image records in tsctrd, with Docker's shapes and its conflict rules for removal.
import { checkTag, parseNamed } from '../../wire/reference.js';
import { parseReference } from '../../../client/remotes/reference.js';
import { Conflict, InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import {
  DANGLING_PREFIX,
  type ImageRecord,
  type ResolvedImage,
  parentId,
  repoDigest,
  repoTag,
} from '../images.js';

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

function created(img: ResolvedImage): string {
  return img.config.created ?? '1970-01-01T00:00:00Z';
}

export function tagsOf(img: ResolvedImage): string[] {
  return img.records
    .map((r) => repoTag(r.name))
    .filter((t): t is string => !!t)
    .sort();
}

export function digestsOf(img: ResolvedImage): string[] {
  return [...new Set(img.records.map(repoDigest).filter((d): d is string => !!d))].sort();
}

export function imageListView(img: ResolvedImage, containers: number): Record<string, unknown> {
  return {
    Containers: containers,
    Created: Math.floor(Date.parse(created(img)) / 1000),
    Id: img.id,
    Labels: img.config.config?.Labels ?? null,
    ParentId: '',
    RepoDigests: digestsOf(img),
    RepoTags: tagsOf(img),
    SharedSize: -1,
    Size: img.size,
    VirtualSize: img.size,
  };
}

function dockerConfig(img: ResolvedImage): Record<string, unknown> {
  const c: NonNullable<ResolvedImage['config']['config']> & NonNullable<DockerImageExtras['config']> =
    img.config.config ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

/** Fields of a Docker image config beyond the OCI ones (what the builder and commit write). */
interface DockerImageExtras {
  config?: { OnBuild?: string[] | null; Shell?: string[]; Healthcheck?: unknown };
  container?: string;
  container_config?: Record<string, unknown>;
  docker_version?: string;
  author?: string;
}

export function imageInspectView(img: ResolvedImage): Record<string, unknown> {
  const x = img.config as DockerImageExtras;
  return {
    Id: img.id,
    RepoTags: tagsOf(img),
    RepoDigests: digestsOf(img),
    Parent: parentId(img),
    Comment: img.config.history?.at(-1)?.comment ?? '',
    Created: created(img),
    Container: x.container ?? '',
    ContainerConfig: x.container_config ?? {
      ...dockerConfig(img),
      Env: null,
      Cmd: null,
      Entrypoint: null,
      Labels: null,
    },
    DockerVersion: x.docker_version ?? '',
    Author: x.author ?? '',
    Config: dockerConfig(img),
    Architecture: img.config.architecture ?? '',
    ...(img.config.variant ? { Variant: img.config.variant } : {}),
    Os: img.config.os ?? 'linux',
    Size: img.size,
    VirtualSize: img.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export function historyView(img: ResolvedImage): Array<Record<string, unknown>> {
  const hist = img.config.history ?? [];
  let layer = 0;
  const rows = hist.map((h) => {
    const size = h.empty_layer ? 0 : (img.manifest.layers[layer++]?.size ?? 0);
    return {
      Id: '<missing>',
      Created: Math.floor(Date.parse(h.created ?? created(img)) / 1000),
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: size,
      Comment: h.comment ?? '',
    };
  });
  if (rows.length === 0) {
    rows.push({
      Id: '<missing>',
      Created: Math.floor(Date.parse(created(img)) / 1000),
      CreatedBy: '',
      Tags: null,
      Size: img.size,
      Comment: '',
    });
  }
  rows.reverse();
  rows[0].Id = img.id;
  rows[0].Tags = tagsOf(img);
  return rows;
}

export async function tagImage(e: Engine, source: string, repo: string, tag: string): Promise<void> {
  // Checked as dockerd does, before the source is looked up, with the reference package's texts.
  let ref = parseNamed(repo);
  if (tag) checkTag(tag);
  if (ref.digest) throw new InvalidParameter('refusing to create a tag with a digest reference');
  if (tag) ref = parseReference(`${ref.name}:${tag}`);
  const img = await e.images.resolve(source);
  await e.c.image(ref.string).put({ target: img.target }, [], true);
  e.events.publish('image', 'tag', img.id, { name: ref.familiar });
}

export type DeleteResponse = Array<{ Untagged?: string; Deleted?: string }>;

async function deleteRecord(e: Engine, r: ImageRecord, sync: boolean): Promise<void> {
  await e.c.image(r.name).delete(sync);
}

export async function removeImage(e: Engine, ref: string, force: boolean): Promise<DeleteResponse> {
  const img = await e.images.resolve(ref);
  const users = e.store.list().filter((c) => c.Image === img.id);
  const running = users.find((c) => c.State.Running);
  const byId = ref.startsWith('sha256:') || img.id.slice(7).startsWith(ref);
  const out: DeleteResponse = [];
  if (!byId) {
    // By name: only that name goes, unless it is the last one.
    const parsed = parseReference(ref);
    const rec = img.records.find((r) => r.name === parsed.string) ?? img.records[0];
    // A built image also has its unnamed record: only names count.
    const named = img.records.filter((r) => !r.name.startsWith(DANGLING_PREFIX));
    const last = named.length <= 1;
    if (last && users.length > 0 && !force) {
      const u = running ?? users[0];
      throw new Conflict(
        `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(u.Id)} is using its referenced image ${shortId(img.id)}`,
      );
    }
    await deleteRecord(e, rec, last && users.length === 0);
    if (last && users.length === 0)
      for (const d of img.records) if (d !== rec) await deleteRecord(e, d, true);
    const tag = repoTag(rec.name);
    if (tag) out.push({ Untagged: tag });
    const dig = repoDigest(rec);
    if (last && dig) out.push({ Untagged: dig });
    if (last && users.length === 0) out.push({ Deleted: img.id });
    e.events.publish('image', 'untag', img.id, { name: tag ?? img.id });
    if (last && users.length === 0) {
      e.events.publish('image', 'delete', img.id, { name: img.id });
      out.push(...(await deleteUnusedParents(e, parentId(img))));
    }
    return out;
  }
  if (running) {
    throw new Conflict(
      `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running.Id)}`,
    );
  }
  if (users.length > 0 && !force) {
    throw new Conflict(
      `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(users[0].Id)}`,
    );
  }
  if (img.records.filter((r) => !r.name.startsWith(DANGLING_PREFIX)).length > 1 && !force) {
    throw new Conflict(
      `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`,
    );
  }
  for (const [i, r] of img.records.entries()) {
    await deleteRecord(e, r, i === img.records.length - 1);
    const tag = repoTag(r.name);
    if (tag) out.push({ Untagged: tag });
    const dig = repoDigest(r);
    if (dig) out.push({ Untagged: dig });
  }
  out.push({ Deleted: img.id });
  e.events.publish('image', 'delete', img.id, { name: img.id });
  out.push(...(await deleteUnusedParents(e, parentId(img))));
  return out;
}

/**
 * After an image is deleted: its parent goes too when it is a build step image (no name) that
 * nothing else builds on and no container uses, and so on up the chain (dockerd's rmi).
 */
export async function deleteUnusedParents(e: Engine, first: string): Promise<DeleteResponse> {
  const out: DeleteResponse = [];
  if (!first) return out;
  const all = await e.images.list();
  const used = new Set(e.store.list().map((c) => c.Image));
  const gone = new Set<string>();
  let id = first;
  while (id) {
    const img = all.find((i) => i.id === id);
    if (!img || used.has(id) || img.records.some((r) => !r.name.startsWith(DANGLING_PREFIX))) break;
    if (all.some((i) => i.id !== id && !gone.has(i.id) && parentId(i) === id)) break;
    for (const r of img.records) await deleteRecord(e, r, false);
    gone.add(id);
    out.push({ Deleted: img.id });
    e.events.publish('image', 'delete', img.id, { name: img.id });
    id = parentId(img);
  }
  return out;
}
