import { type Command, json, parse, print, withConnection } from './common.js';
import { SERVER_VERSION as VERSION } from '../../api/version.js';

export const version: Command = async (g, args) => {
  const { values } = parse(args, { format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const v = await c.call(c.version, c.version.version, {});
    const s = await c.call(c.introspection, c.introspection.server, {});
    if (values.format === 'json') return json({ client: VERSION, server: { ...v, uuid: s.uuid } });
    print(
      `Client:\n  Version:  ${VERSION.version}\n  Revision: ${VERSION.revision}\n  Node:     ${process.version}\n\n` +
        `Server:\n  Version:  ${v.version}\n  Revision: ${v.revision}\n  UUID: ${s.uuid}\n`,
    );
  });
};
