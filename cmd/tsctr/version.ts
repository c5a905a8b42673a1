import { type Command, json, parse, print, withConnection } from './common.js';
import { SERVER_VERSION as VERSION } from '../../api/version.js';
import { daemonVersion, serverUuid } from '../../client/services/introspection.js';

export const version: Command = async (g, args) => {
  const { values } = parse(args, { format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const v = await daemonVersion(c);
    const uuid = await serverUuid(c);
    if (values.format === 'json') return json({ client: VERSION, server: { ...v, uuid } });
    print(
      `Client:\n  Version:  ${VERSION.version}\n  Revision: ${VERSION.revision}\n  Node:     ${process.version}\n\n` +
        `Server:\n  Version:  ${v.version}\n  Revision: ${v.revision}\n  UUID: ${uuid}\n`,
    );
  });
};
