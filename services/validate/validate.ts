// Input validation shared by every service. Each check throws InvalidArgument with a message that
// names the offending value, before anything is written.
import { failedPrecondition, invalidArgument } from '../../api/errdefs.js';

const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
const MAX_IDENTIFIER = 76;

/** Namespaces, container, task and lease ids (containerd's identifiers rules). */
export function identifier(kind: string, s: string): string {
  if (s === '') throw invalidArgument(`${kind}: identifier must not be empty`);
  if (s.length > MAX_IDENTIFIER) {
    throw invalidArgument(
      `${kind}: identifier ${JSON.stringify(trim(s))} greater than maximum length (${MAX_IDENTIFIER} characters)`,
    );
  }
  if (!IDENTIFIER.test(s)) {
    throw invalidArgument(`${kind}: identifier ${JSON.stringify(trim(s))} must match ${IDENTIFIER.source}`);
  }
  return s;
}

/**
 * Lease ids. containerd does not hold them to the identifier rules (ctr makes ids like
 * "497870918-_f1_" from base64url), so only what could confuse storage or logs is refused.
 */
export function leaseId(s: string): string {
  if (s === '') throw invalidArgument('lease id must not be empty');
  if (s.length > 256) throw invalidArgument('lease id is longer than 256 characters');
  if (/[\x00-\x20\x7f]/.test(s))
    throw invalidArgument(`lease id ${JSON.stringify(trim(s))} contains spaces or control characters`);
  return s;
}

const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A content digest: `<algorithm>:<lowercase hex>`. Only sha256 is stored. */
export function digest(s: string): string {
  const m = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(s);
  if (!m) throw invalidArgument(`invalid digest ${JSON.stringify(trim(s))}: invalid checksum digest format`);
  const [, alg, hex] = m;
  const len = DIGEST_HEX[alg];
  if (len === undefined)
    throw invalidArgument(`invalid digest ${JSON.stringify(trim(s))}: unsupported digest algorithm`);
  if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) {
    throw invalidArgument(
      `invalid digest ${JSON.stringify(trim(s))}: invalid checksum digest length or characters`,
    );
  }
  if (alg !== 'sha256') throw invalidArgument(`digest ${s}: only sha256 is supported`);
  return s;
}

const MAX_REF = 1024;

/**
 * An ingest ref. Refs are free-form (ctr uses `layer-sha256:…`, `tar-blobs/sha256/…`), so only what
 * could escape or confuse is refused: empty, overlong, control characters, and `.`/`..` path parts.
 */
export function ref(s: string): string {
  if (s === '') throw invalidArgument('ref must not be empty');
  if (s.length > MAX_REF) throw invalidArgument(`ref is longer than ${MAX_REF} characters`);
  if (/[\x00-\x1f\x7f]/.test(s))
    throw invalidArgument(`ref ${JSON.stringify(trim(s))} contains control characters`);
  if (s.split('/').some((p) => p === '..' || p === '.') || s.startsWith('/')) {
    throw invalidArgument(
      `ref ${JSON.stringify(trim(s))} must not contain "." or ".." path elements or start with "/"`,
    );
  }
  return s;
}

const MAX_LABEL = 4096;

/** Labels: key+value at most 4096 bytes each, keys non-empty (containerd's labels.Validate). */
export function labels(l: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l ?? {})) {
    label(k, v);
    out[k] = v;
  }
  return out;
}

export function label(k: string, v: string): void {
  if (k === '') throw invalidArgument('label key must not be empty');
  if (Buffer.byteLength(k) + Buffer.byteLength(v) > MAX_LABEL) {
    throw invalidArgument(
      `label key and value length (${Buffer.byteLength(k) + Buffer.byteLength(v)} bytes) greater than maximum size (${MAX_LABEL} bytes), key: ${trim(k)}`,
    );
  }
  if (/\x00/.test(k) || /\x00/.test(v)) throw invalidArgument(`label ${trim(k)} contains a NUL byte`);
}

function trim(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** A request's namespace: required, and a valid identifier. */
export function namespace(ns: string | undefined): string {
  if (!ns) throw failedPrecondition('namespace is required');
  return identifier('namespace', ns);
}
