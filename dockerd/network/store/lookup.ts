// Finding a network the way dockerd's FindNetwork does: full id first, then exact name, then unique id
// prefix; several networks of one name (CheckDuplicate=false) or of one prefix are ambiguous.
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import type { NetworkRecord } from './types.js';

export function findNetwork<T extends Pick<NetworkRecord, 'Id' | 'Name'>>(
  networks: Iterable<T>,
  term: string,
): T {
  const byName: T[] = [];
  const byPrefix: T[] = [];
  for (const n of networks) {
    if (n.Id === term) return n;
    if (n.Name === term) byName.push(n);
    if (term !== '' && n.Id.startsWith(term)) byPrefix.push(n);
  }
  if (byName.length === 1) return byName[0];
  if (byName.length > 1)
    throw new InvalidParameter(`network ${term} is ambiguous (${byName.length} matches found on name)`);
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1)
    throw new InvalidParameter(
      `network ${term} is ambiguous (${byPrefix.length} matches found based on ID prefix)`,
    );
  throw new NotFound(`network ${term} not found`);
}
