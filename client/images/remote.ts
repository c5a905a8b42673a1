// Pull and push by reference, over a Registry from ../remotes.
import { type Registry, parseReference } from '../remotes/index.js';
import type { Connection } from '../connection.js';
import { type PullOptions, type PullResult, pull } from './pull.js';

/** Resolves `ref` at its registry and pulls it into tsctrd under its normalised name. */
export async function pullReference(
  c: Connection,
  reg: Registry,
  ref: string,
  opts: PullOptions = {},
): Promise<PullResult> {
  const parsed = parseReference(ref);
  const resolved = await reg.resolve(parsed);
  return pull(
    c,
    {
      host: parsed.host,
      repository: parsed.path,
      // tsctrd checks each blob's digest when the write is committed (the expected digest is sent), so
      // hashing the bytes here too would only cost the client CPU (~70 ms per 100 MB).
      fetch: (d, offset) => reg.fetch(parsed, d, { offset, verify: false }),
    },
    resolved.name,
    resolved.descriptor,
    opts,
  );
}
