// Images as Docker shows them, over tsctrd's Images service in the `moby` namespace: an image is
// identified by its config digest, named by every image record that points at it (RepoTags), and
// found by name, full or short ID, the way `docker` resolves references.
import type { Connection } from '../../client/connection.js';
import { chainIds } from '../../client/images/chain.js';
import type { Descriptor, ImageConfig, Manifest } from '../../client/images/oci.js';
import { imageConfig, platformManifest } from '../../client/images/walk.js';
import { listImages } from '../../client/services/images.js';
import { type ImageReference, parseReference } from '../../client/remotes/reference.js';
import { isNotFound } from '../../api/errdefs.js';
import { NotFound } from '../errdefs/index.js';

/** The parent image ID an image record names (builder images), '' if none. */
export function parentId(img: { records: ImageRecord[] }): string {
  for (const r of img.records) {
    const p = r.labels[PARENT_LABEL];
    if (p && p !== 'none') return p;
  }
  return '';
}

/** Image records carry this label once the manifest digest is known to a registry (pull or push). */
export const DISTRIBUTED_LABEL = 'io.tsctr.docker.distributed';

/** Image records made by the builder carry their parent image's ID (Docker's image Parent). */
export const PARENT_LABEL = 'io.tsctr.docker.parent';

/** The record name of an image with no name (a build step, a commit without a tag). */
export const DANGLING_PREFIX = 'moby-dangling@';

export interface ImageRecord {
  name: string;
  target: Descriptor;
  labels: Record<string, string>;
  createdAt: number;
}

export interface ResolvedImage {
  /** `sha256:` of the config: Docker's image ID. */
  id: string;
  config: ImageConfig;
  configDigest: string;
  manifest: Manifest;
  manifestDesc: Descriptor;
  target: Descriptor;
  /** Every image record naming this image. */
  records: ImageRecord[];
  /** Chain ID of the top layer: the snapshot a container's rootfs starts from. */
  chainId: string;
  size: number;
}

interface Loaded {
  config: ImageConfig;
  configDigest: string;
  manifest: Manifest;
  manifestDesc: Descriptor;
}

function tsToMs(t: { seconds: number; nanos: number } | undefined): number {
  return t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : 0;
}

/** The familiar name:tag of a record, or undefined for a digest-only or dangling record. */
export function repoTag(name: string): string | undefined {
  if (name.startsWith(DANGLING_PREFIX)) return undefined;
  try {
    const r = parseReference(name);
    return r.digest ? undefined : `${r.familiarName}:${r.tag}`;
  } catch {
    return undefined;
  }
}

export function repoDigest(rec: ImageRecord): string | undefined {
  if (rec.name.startsWith(DANGLING_PREFIX)) return undefined; // an image without a name (commit, build)
  try {
    const r = parseReference(rec.name);
    if (r.digest) return `${r.familiarName}@${r.digest}`;
    return rec.labels[DISTRIBUTED_LABEL] ? `${r.familiarName}@${rec.target.digest}` : undefined;
  } catch {
    return undefined;
  }
}

export class ImageIndex {
  /** Manifest/config lookups by target digest; content is immutable, so this never goes stale. */
  private readonly loaded = new Map<string, Promise<Loaded>>();

  constructor(private readonly c: Connection) {}

  load(target: Descriptor): Promise<Loaded> {
    let p = this.loaded.get(target.digest);
    if (!p) {
      p = (async () => {
        const { desc, manifest } = await platformManifest(this.c, target);
        const config = await imageConfig(this.c, manifest);
        return { config, configDigest: manifest.config.digest, manifest, manifestDesc: desc };
      })();
      p.catch(() => this.loaded.delete(target.digest));
      this.loaded.set(target.digest, p);
    }
    return p;
  }

  async records(): Promise<ImageRecord[]> {
    const images = await listImages(this.c);
    return images.map((i) => ({
      name: i.name,
      target: i.target as Descriptor,
      labels: i.labels,
      createdAt: tsToMs(i.createdAt),
    }));
  }

  private assemble(l: Loaded, target: Descriptor, records: ImageRecord[]): ResolvedImage {
    return {
      id: l.configDigest,
      config: l.config,
      configDigest: l.configDigest,
      manifest: l.manifest,
      manifestDesc: l.manifestDesc,
      target,
      records,
      chainId: chainIds(l.config.rootfs.diff_ids).pop() ?? '',
      size: l.manifest.layers.reduce((n, d) => n + d.size, 0),
    };
  }

  /** Every image, grouped by ID (records whose content is missing are left out). */
  async list(): Promise<ResolvedImage[]> {
    const recs = await this.records();
    const byId = new Map<string, ResolvedImage>();
    await Promise.all(
      recs.map(async (r) => {
        let l: Loaded;
        try {
          l = await this.load(r.target);
        } catch {
          return;
        }
        const have = byId.get(l.configDigest);
        if (have) have.records.push(r);
        else byId.set(l.configDigest, this.assemble(l, r.target, [r]));
      }),
    );
    return [...byId.values()];
  }

  /**
   * Finds an image by full or short ID (`sha256:abc…`, `abc…`), or by reference (`busybox`,
   * `busybox:1`, `127.0.0.1:5000/x@sha256:…`). Throws NotFound with Docker's text.
   */
  async resolve(ref: string, o: { allNames?: boolean } = { allNames: true }): Promise<ResolvedImage> {
    const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
    if (/^[0-9a-f]{12,64}$/.test(hex)) {
      const all = await this.list();
      const hit = all.filter((i) => i.id.slice(7).startsWith(hex));
      if (hit.length === 1) return hit[0];
    }
    let parsed: ImageReference;
    try {
      parsed = parseReference(ref);
    } catch {
      throw new NotFound(`No such image: ${ref}`);
    }
    try {
      const image = await this.c.image(parsed.string).get();
      const rec: ImageRecord = {
        name: image!.name,
        target: image!.target as Descriptor,
        labels: image!.labels,
        createdAt: tsToMs(image!.createdAt),
      };
      const l = await this.load(rec.target);
      // Every name of the image (for RepoTags, rmi) costs a listing; a container create needs none.
      const all = o.allNames
        ? (await this.records()).filter((r) => r.target.digest === rec.target.digest)
        : [rec];
      return this.assemble(l, rec.target, all.length > 0 ? all : [rec]);
    } catch (e) {
      if (isNotFound(e)) throw new NotFound(`No such image: ${parsed.familiar}`);
      throw e;
    }
  }
}

export function normalizeRef(ref: string): ImageReference {
  return parseReference(ref);
}
