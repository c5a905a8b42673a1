// The images router's backend: pull, push, import, commit, list, inspect, tag, remove, save, load.
import type { Readable, Writable } from 'node:stream';
import { InvalidParameter, NotFound, NotImplemented } from '../../errdefs/index.js';
import type { Filters } from '../../wire/filters.js';
import { type JsonMessage, errorMessage } from '../../wire/jsonmessage.js';
import type { JsonStreamWriter } from '../../wire/jsonmessage.js';
import type { Engine } from '../engine.js';
import { loadImages, resolveSaveNames, saveImages } from './archive.js';
import {
  digestsOf,
  historyView,
  imageInspectView,
  imageListView,
  removeImage,
  tagImage,
  tagsOf,
} from './ops.js';
import { globRegex, matchesAnyReference } from './ref-match.js';
import { pullImage, pullReference } from './pull.js';
import { pushRepository } from './push.js';
import { importRootfs } from './import.js';
import { type CommitOptions, commitContainer } from './commit.js';
import type { ContainerRecord } from '../types.js';
import { parentId } from '../images.js';
import { pruneImages } from './prune.js';

export class ImagesService {
  constructor(private readonly e: Engine) {}

  private container(ref: string): ContainerRecord {
    return this.e.store.get(ref);
  }

  async pullImage(
    fromImage: string,
    tag: string,
    auth: string | undefined,
    platform: string | undefined,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter> {
    const ref = pullReference(fromImage, tag);
    let out: JsonStreamWriter | undefined;
    try {
      await pullImage(
        this.e,
        { ref, auth, platform },
        (m) => out?.write(m),
        () => (out = open()),
      );
    } catch (e) {
      if (!out) throw e;
      out.write(errorMessage((e as Error).message));
    }
    return out!;
  }

  async importImage(
    src: string,
    repo: string,
    tag: string,
    changes: string[],
    body: Readable,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter> {
    if (src !== '-')
      throw new NotImplemented('importing from a URL is not supported; send the tar as the body');
    const id = await importRootfs(this.e, body, repo, tag, changes);
    const out = open();
    out.write({ status: id });
    return out;
  }

  commitContainer(ref: string, o: CommitOptions): Promise<string> {
    return commitContainer(this.e, this.container(ref), o);
  }

  async pushImage(
    name: string,
    tag: string,
    auth: string | undefined,
    write: (m: JsonMessage) => void,
  ): Promise<void> {
    await pushRepository(this.e, name, tag, auth, write);
  }

  async listImages(o: { all: boolean; filters: Filters }): Promise<unknown[]> {
    const all = await this.e.images.list();
    const counts = new Map<string, number>();
    for (const r of this.e.store.list()) counts.set(r.Image, (counts.get(r.Image) ?? 0) + 1);
    // Several `reference` values match any of them; only the matching names are listed.
    const refs = o.filters.get('reference')?.map(globRegex);
    const named = (list: string[]) => (refs ? list.filter((t) => matchesAnyReference(refs, t)) : list);
    const labels = o.filters.get('label');
    const dangling = o.filters.get('dangling');
    // Step images of builds (unnamed, with children) are shown by `docker images -a` only.
    const parents = new Set(all.map(parentId).filter((p) => p !== ''));
    return all
      .filter((img) => {
        const tags = tagsOf(img);
        if (!o.all && tags.length === 0 && parents.has(img.id)) return false;
        if (dangling?.includes('true') && tags.length > 0) return false;
        if (refs && named(tags).length === 0 && named(digestsOf(img)).length === 0) return false;
        if (labels) {
          const l = img.config.config?.Labels ?? {};
          if (
            !labels.every((v) =>
              v.includes('=') ? l[v.split('=')[0]] === v.split('=').slice(1).join('=') : v in l,
            )
          )
            return false;
        }
        return true;
      })
      .sort((a, b) => ((a.config.created ?? '') < (b.config.created ?? '') ? 1 : -1))
      .map((img) => {
        const view = imageListView(img, o.all ? (counts.get(img.id) ?? 0) : -1);
        return refs ? { ...view, RepoTags: named(tagsOf(img)), RepoDigests: named(digestsOf(img)) } : view;
      });
  }

  async inspectImage(ref: string): Promise<Record<string, unknown>> {
    try {
      return imageInspectView(await this.e.images.resolve(ref));
    } catch (e) {
      if (e instanceof NotFound)
        throw new NotFound(
          `no such image: ${ref}: No such image: ${ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`}`,
        );
      throw e;
    }
  }

  async imageHistory(ref: string): Promise<unknown> {
    const img = await this.e.images.resolve(ref);
    const rows = historyView(img);
    // Rows made by local builds name their image, as dockerd's: each step image added one row, so
    // the ancestor with n history entries is the image of the n-th row from the bottom.
    const all = await this.e.images.list();
    const byId = new Map(all.map((i) => [i.id, i]));
    for (let p = parentId(img), guard = 0; p && guard < 1000; guard++) {
      const anc = byId.get(p);
      if (!anc) break;
      const at = rows.length - (anc.config.history?.length ?? 0);
      if (at > 0 && at < rows.length) {
        rows[at].Id = anc.id;
        const tags = tagsOf(anc);
        rows[at].Tags = tags.length > 0 ? tags : null;
      }
      p = parentId(anc);
    }
    return rows;
  }

  tagImage(source: string, repo: string, tag: string): Promise<void> {
    if (!repo) throw new InvalidParameter('repository name must have at least one component');
    return tagImage(this.e, source, repo, tag);
  }

  removeImage(ref: string, force: boolean): Promise<unknown> {
    return removeImage(this.e, ref, force);
  }

  async saveImages(names: string[], open: () => Writable): Promise<void> {
    const resolved = await resolveSaveNames(this.e, names);
    await saveImages(this.e, resolved, open());
  }

  loadImages(body: Readable): Promise<string[]> {
    return loadImages(this.e, body);
  }

  async pruneImages(filters: Filters): Promise<{ ImagesDeleted: unknown[]; SpaceReclaimed: number }> {
    const dangling = filters.get('dangling');
    const labels = filters.get('label') ?? [];
    return pruneImages(this.e, {
      danglingOnly: !(dangling?.some((v) => v === 'false' || v === '0') ?? false),
      keep: (img) => {
        const l = img.config.config?.Labels ?? {};
        return !labels.every((v) =>
          v.includes('=') ? l[v.split('=')[0]] === v.split('=').slice(1).join('=') : v in l,
        );
      },
    });
  }
}
