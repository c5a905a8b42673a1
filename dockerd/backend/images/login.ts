// POST /auth (docker login): the daemon checks the credentials at the registry (a GET /v2/ that
// has to authenticate), stores nothing, and answers 401 with the registry's reason when they fail.
import { normalizeCredentialHost } from '../../../client/remotes/credentials.js';
import { Registry } from '../../../client/remotes/index.js';
import { SystemError, Unauthorized } from '../../errdefs/index.js';

/** POST /auth: the credentials are checked against the registry itself (nothing is stored here). */
export async function login(a: {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}): Promise<void> {
  const host = normalizeCredentialHost(a.serveraddress || 'docker.io');
  const creds = a.identitytoken
    ? { identityToken: a.identitytoken }
    : { username: a.username ?? '', password: a.password ?? '' };
  try {
    await new Registry({ credentials: () => creds }).ping(host);
  } catch (e) {
    const msg = (e as Error).message;
    if (/401|403|unauthori[sz]ed|denied|incorrect/i.test(msg)) {
      throw new Unauthorized(`login attempt to ${host} failed: ${msg}`);
    }
    throw new SystemError(`login to ${host}: ${msg}`);
  }
}
