// Image references as Docker and containerd read them: the distribution grammar, Docker Hub normalisation
// ("busybox" → "docker.io/library/busybox:latest") and the familiar short form docker prints.
import { invalidArgument } from '../../api/errdefs.js';
import { validateDigest } from './digest.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of docker/distribution's reference package, written so a JavaScript (backtracking) engine
// stays linear: a separator that may be empty ("[-]*") is written as "-+", which accepts the same names.
const nameComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const domainComponent = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const ipv6 = '\\[[a-fA-F0-9:]+\\]';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})(?::[0-9]+)?`;
const path = `${nameComponent}(?:/${nameComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const referenceRe = new RegExp(`^((?:${domain}/)?${path})(?::(${tag}))?(?:@(${digest}))?$`);
const nameRe = new RegExp(`^(?:(${domain})/)?(${path})$`);
const tagRe = new RegExp(`^${tag}$`);
const identifierRe = /^[a-f0-9]{64}$/;
const MAX_INPUT = 1024;

export interface ImageReference {
  /** Registry domain as written in the reference, Docker Hub as "docker.io" (e.g. "127.0.0.1:5000"). */
  host: string;
  /** Repository path inside the registry ("library/busybox"). */
  path: string;
  /** The tag as given, or "latest" when neither tag nor digest was given. */
  tag?: string;
  digest?: string;
  /** host/path: "docker.io/library/busybox". */
  name: string;
  /** The normalised reference containerd and dockerd store: name:tag, or name@digest when a digest is given. */
  string: string;
  /** The name as docker prints it: "busybox", "user/app", "127.0.0.1:5000/x". */
  familiarName: string;
  /** The familiar form of `string`: "busybox:latest", "busybox@sha256:…". */
  familiar: string;
}

/** Docker Hub's short forms: domain omitted, "library/" omitted for official images. */
function splitDockerDomain(s: string): { host: string; remainder: string } {
  const i = s.indexOf('/');
  let host: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(s.slice(0, i)) && s.slice(0, i) !== 'localhost')) {
    host = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    host = s.slice(0, i);
    remainder = s.slice(i + 1);
  }
  if (host === LEGACY_DEFAULT_DOMAIN) host = DEFAULT_DOMAIN;
  if (host === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { host, remainder };
}

export function familiarName(host: string, path: string): string {
  if (host !== DEFAULT_DOMAIN) return `${host}/${path}`;
  const parts = path.split('/');
  return parts.length === 2 && parts[0] === 'library' ? parts[1] : path;
}

function build(
  host: string,
  path: string,
  tag: string | undefined,
  digest: string | undefined,
): ImageReference {
  const name = `${host}/${path}`;
  const short = familiarName(host, path);
  const suffix = digest ? `@${digest}` : `:${tag ?? DEFAULT_TAG}`;
  return {
    host,
    path,
    ...(tag !== undefined || !digest ? { tag: tag ?? DEFAULT_TAG } : {}),
    ...(digest ? { digest } : {}),
    name,
    string: name + suffix,
    familiarName: short,
    familiar: short + suffix,
  };
}

/**
 * Parse and normalise a reference the way `docker pull` and containerd's ParseDockerRef do. Throws
 * InvalidArgument for anything the grammar rejects (uppercase repository, bad tag, bad digest, too long).
 */
export function parseReference(input: string): ImageReference {
  const s = input;
  if (s === '')
    throw invalidArgument(`invalid reference format: repository name must have at least one component`);
  if (s.length > MAX_INPUT) throw invalidArgument(`invalid reference format: reference too long`);
  if (identifierRe.test(s)) {
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { host, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep === -1 ? remainder : remainder.slice(0, tagSep);
  if (remote.toLowerCase() !== remote) {
    throw invalidArgument(`invalid reference format: repository name must be lowercase: "${s}"`);
  }
  const full = `${host}/${remainder}`;
  const m = referenceRe.exec(full);
  if (!m) {
    if (referenceRe.test(full.toLowerCase())) {
      throw invalidArgument(`invalid reference format: repository name must be lowercase: "${s}"`);
    }
    throw invalidArgument(`invalid reference format: "${s}"`);
  }
  const [, name, tagPart, digestPart] = m;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters: "${s}"`,
    );
  }
  const nm = nameRe.exec(name);
  if (!nm || nm[1] === undefined) throw invalidArgument(`invalid reference format: "${s}"`);
  if (digestPart !== undefined) validateDigest(digestPart);
  return build(nm[1], nm[2], tagPart, digestPart);
}

/** True when `input` parses; never throws. */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/** The same repository with another tag (and no digest). */
export function withTag(ref: ImageReference, newTag: string): ImageReference {
  if (!tagRe.test(newTag)) throw invalidArgument(`invalid tag format: "${newTag}"`);
  return build(ref.host, ref.path, newTag, undefined);
}

/** The same repository pinned to a digest (the tag, if any, is kept in `tag` but not in `string`). */
export function withDigest(ref: ImageReference, newDigest: string): ImageReference {
  validateDigest(newDigest);
  return build(ref.host, ref.path, ref.tag, newDigest);
}

const pathRe = new RegExp(`^${path}$`);

/** Throws InvalidArgument unless `repoPath` is a repository path inside a registry ("library/busybox"). */
export function validateRepositoryPath(repoPath: string): string {
  if (!pathRe.test(repoPath) || repoPath.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(`invalid repository path: "${repoPath}"`);
  }
  return repoPath;
}
