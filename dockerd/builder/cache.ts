// The classic builder's cache (moby image/cache): a step is a hit when an image whose parent is the
// current image was made with an equal container config — same command (for COPY/ADD: the content
// checksums of the files), env, labels, ports, entrypoint, volumes, user… The newest such image wins.
// Parents are recorded on the image records (PARENT_LABEL), so the cache lives in tsctrd's image
// store and survives restarts; `cachefrom` images add themselves and their ancestors as sources.
import type { Engine } from '../backend/engine.js';
import { PARENT_LABEL, type ResolvedImage } from '../backend/images.js';
import type { Source } from './copy.js';
import type { RunConfig } from './image-state.js';

/** What moby's compare looks at, in a canonical form. */
export function cacheKey(c: RunConfig & { tsctrMounts?: string }): string {
  const keys = (o: Record<string, object> | null | undefined) => Object.keys(o ?? {}).sort();
  return JSON.stringify([
    c.Cmd ?? [],
    c.Env ?? [],
    Object.entries(c.Labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    keys(c.ExposedPorts),
    c.Entrypoint ?? [],
    keys(c.Volumes),
    c.User ?? '',
    c.WorkingDir ?? '',
    c.Shell ?? null,
    c.Healthcheck ?? null,
    c.OnBuild ?? [],
    c.StopSignal ?? '',
    c.Tty ?? false,
    // RUN --mount: the mounts and the checksums of what bind mounts show.
    c.tsctrMounts ?? '',
  ]);
}

function parentOf(img: ResolvedImage): string | undefined {
  for (const r of img.records) {
    const p = r.labels[PARENT_LABEL];
    if (p) return p === 'none' ? '' : p;
  }
  return undefined;
}

/** COPY --from checksums per image and sources, kept across builds (an image's files never change). */
export class SourceMemo {
  private readonly m = new Map<string, Source[]>();

  constructor(private readonly max = 512) {}

  get(key: string): Source[] | undefined {
    return this.m.get(key);
  }

  set(key: string, sources: Source[]): void {
    this.m.delete(key);
    this.m.set(key, sources);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
}

export class BuildCache {
  private images: ResolvedImage[] | undefined;
  /** Image IDs that `cachefrom` allows (undefined: every local image). */
  private allowed: Set<string> | undefined;

  constructor(
    private readonly e: Engine,
    readonly sources = new SourceMemo(),
  ) {}

  /** Restricts the sources to `refs` and their ancestors (as dockerd with --cache-from). */
  async restrictTo(refs: string[]): Promise<void> {
    const all = await this.list();
    const byId = new Map(all.map((i) => [i.id, i]));
    const allowed = new Set<string>();
    for (const ref of refs) {
      let img = await this.e.images.resolve(ref).catch(() => undefined);
      while (img && !allowed.has(img.id)) {
        allowed.add(img.id);
        const p = parentOf(img);
        img = p ? byId.get(p) : undefined;
      }
    }
    this.allowed = allowed;
  }

  private async list(): Promise<ResolvedImage[]> {
    if (!this.images) this.images = await this.e.images.list();
    return this.images;
  }

  /** A new image exists: the listing is read again on the next probe. */
  invalidate(): void {
    this.images = undefined;
  }

  /** The cached child of `parent` made with `config`, if any. */
  async probe(parent: string, config: RunConfig): Promise<ResolvedImage | undefined> {
    const key = cacheKey(config);
    const hits = (await this.list()).filter((img) => {
      if (this.allowed && !this.allowed.has(img.id)) return false;
      if (parentOf(img) !== parent) return false;
      const cc = (img.config as unknown as { container_config?: RunConfig }).container_config;
      return cc !== undefined && cacheKey(cc) === key;
    });
    hits.sort((a, b) => ((a.config.created ?? '') < (b.config.created ?? '') ? 1 : -1));
    return hits[0];
  }
}

export { parentOf };
