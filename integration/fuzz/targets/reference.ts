// Image references and digests (client/remotes): any string either parses or is refused with
// InvalidArgument, and what parses is stable: its normalised and familiar forms parse back to it.
import { parseReference, withDigest, withTag } from '../../../client/remotes/reference.js';
import { validateDigest } from '../../../client/remotes/digest.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

export function referenceTarget(): FuzzTarget {
  return {
    name: 'reference',
    maxLen: 1100,
    dict: [
      'docker.io/',
      'library/',
      'localhost:5000/',
      '127.0.0.1:5000/',
      ':latest',
      '@sha256:',
      'sha512:',
      '/',
      '.',
      '__',
      '-',
      ':',
      '@',
      'index.docker.io/',
      '[::1]:5000/',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ],
    expected: typedRefusal,
    run(data) {
      const s = data.toString('utf8');
      const t0 = performance.now();
      try {
        validateDigest(s);
      } catch (err) {
        if (!typedRefusal(err)) throw err;
      }
      let ref;
      try {
        ref = parseReference(s);
      } finally {
        if (performance.now() - t0 > 250)
          throw new Violation(`parsing took ${Math.round(performance.now() - t0)} ms`);
      }
      const again = parseReference(ref.string);
      if (again.string !== ref.string) throw new Violation(`${ref.string} reparses as ${again.string}`);
      // docker.io/a.b/c is shown as a.b/c, which names another registry (as with Docker): only
      // familiar names without a domain-like first component read back the same.
      const first = ref.familiar.split('/')[0];
      const familiar = parseReference(ref.familiar);
      const domainLike = ref.familiar.includes('/') && (/[.:]/.test(first) || first === 'localhost');
      if (!domainLike && familiar.string !== ref.string)
        throw new Violation(`familiar ${ref.familiar} parses as ${familiar.string}`);
      if (ref.digest) withDigest(ref, ref.digest);
      if (ref.tag) withTag(ref, ref.tag);
    },
  };
}
