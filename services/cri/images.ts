// The CRI image view over the image and content stores of namespace k8s.io: an image is identified by
// its config digest, and carries the names containerd's CRI gives it (repo:tag, repo@digest and the
// id itself), so `ctr -n k8s.io images ls` lists what `crictl images` does.
import { statfs } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { invalidArgument, isNotFound, notFound } from '../../api/errdefs.js';
import type { ContentStore } from '../content/store.js';
import type { Descriptor, Image, ImageStore } from '../images/store.js';
import { normalizeRef } from './reference.js';

export const CRI_NS = 'k8s.io';
export const MANAGED_LABEL = 'io.cri-containerd.image';

export interface RegistryAuth {
  username?: string;
  password?: string;
  identityToken?: string;
  serverAddress?: string;
}

/** Pulls a reference into namespace k8s.io (the client's pull path, wired in by cmd/tsctrd). */
export type Puller = (
  ref: string,
  auth: RegistryAuth | undefined,
) => Promise<{ name: string; digest: string }>;

export interface ImageConfigJson {
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    StopSignal?: string;
    Volumes?: Record<string, unknown>;
  };
  rootfs?: { diff_ids?: string[] };
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  config: ImageConfigJson;
  /** The diff ids, bottom first (the snapshot chain). */
  diffIds: string[];
  names: string[];
}

interface ManifestJson {
  mediaType?: string;
  config: { digest: string; size: number };
  layers: Array<{ digest: string; size: number }>;
  manifests?: Array<{ digest: string; mediaType: string; platform?: { os?: string; architecture?: string } }>;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };

export class CriImages {
  constructor(
    private readonly images: ImageStore,
    private readonly content: ContentStore,
    private readonly puller: Puller,
    private readonly afterDelete: () => Promise<void>,
  ) {}

  /** Content is immutable: parsed manifests and configs are kept by digest. */
  private readonly parsed = new Map<string, unknown>();

  private async json<T>(digest: string): Promise<T> {
    const hit = this.parsed.get(digest);
    if (hit !== undefined) return hit as T;
    const v = await this.readJson<T>(digest);
    if (this.parsed.size > 2000) this.parsed.clear();
    this.parsed.set(digest, v);
    return v;
  }

  private async readJson<T>(digest: string): Promise<T> {
    const { path } = await this.content.open(CRI_NS, digest);
    return JSON.parse(await readFile(path, 'utf8')) as T;
  }

  /** The platform manifest under an image's target (an index is resolved to linux/<our arch>). */
  private async manifest(target: Descriptor): Promise<{ digest: string; m: ManifestJson }> {
    let digest = target.digest;
    let m = await this.json<ManifestJson>(digest);
    if (m.manifests) {
      const arch = ARCH[process.arch] ?? process.arch;
      const pick =
        m.manifests.find(
          (x) => !x.platform || (x.platform.os === 'linux' && x.platform.architecture === arch),
        ) ?? m.manifests[0];
      if (!pick) throw notFound(`image index ${digest} lists no manifest`);
      digest = pick.digest;
      m = await this.json<ManifestJson>(digest);
    }
    return { digest, m };
  }

  private async describe(group: Image[]): Promise<CriImage> {
    const { m } = await this.manifest(group[0].target);
    const config = await this.json<ImageConfigJson>(m.config.digest);
    const repoTags: string[] = [];
    const repoDigests = new Set<string>();
    for (const img of group) {
      if (img.name.startsWith('sha256:')) continue;
      if (img.name.includes('@')) repoDigests.add(img.name);
      else {
        repoTags.push(img.name);
        repoDigests.add(`${normalizeRef(img.name).repo}@${img.target.digest}`);
      }
    }
    return {
      id: m.config.digest,
      repoTags: repoTags.sort(),
      repoDigests: [...repoDigests].sort(),
      size: m.config.size + m.layers.reduce((n, l) => n + l.size, 0),
      config,
      diffIds: config.rootfs?.diff_ids ?? [],
      names: group.map((g) => g.name),
    };
  }

  /** Every CRI image, grouped by config digest. */
  async list(): Promise<CriImage[]> {
    const byId = new Map<string, Image[]>();
    for (const img of await this.images.list(CRI_NS, [])) {
      let id: string;
      try {
        id = (await this.manifest(img.target)).m.config.digest;
      } catch {
        continue; // content gone or not an image: not shown, as containerd's CRI skips it
      }
      byId.set(id, [...(byId.get(id) ?? []), img]);
    }
    const out: CriImage[] = [];
    for (const group of byId.values()) out.push(await this.describe(group));
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The image a CRI caller names: id (full or unique prefix), repo:tag, repo@digest. */
  async find(text: string): Promise<CriImage | undefined> {
    if (!text) throw invalidArgument('image name must not be empty');
    const all = await this.list();
    const id = /^(sha256:)?[a-f0-9]{6,64}$/.test(text)
      ? text.startsWith('sha256:')
        ? text
        : `sha256:${text}`
      : '';
    if (id) {
      const hits = all.filter((i) => i.id.startsWith(id));
      if (hits.length === 1) return hits[0];
    }
    let full: string;
    try {
      full = normalizeRef(text).full;
    } catch {
      return undefined;
    }
    return all.find((i) => i.names.includes(full) || i.repoDigests.includes(full));
  }

  async get(text: string): Promise<CriImage> {
    const img = await this.find(text);
    if (!img) throw notFound(`image "${text}" not found`);
    return img;
  }

  /** Pulls and records the names containerd's CRI adds; answers the image id. */
  async pull(text: string, auth: RegistryAuth | undefined): Promise<string> {
    normalizeRef(text);
    const r = await this.puller(text, auth);
    const img = await this.images.get(CRI_NS, r.name);
    const { m } = await this.manifest(img.target);
    const id = m.config.digest;
    const labels = { ...img.labels, [MANAGED_LABEL]: 'managed' };
    const ref = normalizeRef(r.name);
    for (const name of [r.name, `${ref.repo}@${img.target.digest}`, id]) {
      try {
        await this.images.create(CRI_NS, { name, labels, target: img.target });
      } catch {
        await this.images.update(CRI_NS, { name, labels, target: img.target }, []);
      }
    }
    return id;
  }

  async remove(text: string): Promise<void> {
    const img = await this.find(text);
    if (!img) return; // RemoveImage is idempotent in the CRI
    for (const name of img.names) {
      try {
        await this.images.delete(CRI_NS, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    await this.afterDelete();
  }

  async fsInfo(dir: string): Promise<{ usedBytes: number; inodesUsed: number }> {
    const s = await statfs(dir);
    return { usedBytes: (s.blocks - s.bfree) * s.bsize, inodesUsed: s.files - s.ffree };
  }
}
