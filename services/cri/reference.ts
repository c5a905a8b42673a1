// The normalisation containerd's CRI applies to image names: Docker Hub short forms, ":latest" when
// neither tag nor digest is given. Only what lookup needs; the client's parser validates pulls.
import { invalidArgument } from '../../api/errdefs.js';

export interface NamedRef {
  /** host/path */
  repo: string;
  tag?: string;
  digest?: string;
  /** repo:tag or repo@digest */
  full: string;
}

export function normalizeRef(text: string): NamedRef {
  if (!text || /\s/.test(text)) throw invalidArgument(`invalid image reference ${JSON.stringify(text)}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest))
      throw invalidArgument(`invalid image reference ${JSON.stringify(text)}: bad digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  let repo: string;
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost')) {
    repo = `docker.io/${slash === -1 ? `library/${rest}` : rest}`;
  } else repo = rest.replace(/^index\.docker\.io\//, 'docker.io/');
  if (!/^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?$/.test(repo))
    throw invalidArgument(`invalid image reference ${JSON.stringify(text)}`);
  if (!tag && !digest) tag = 'latest';
  return { repo, tag, digest, full: digest ? `${repo}@${digest}` : `${repo}:${tag}` };
}
