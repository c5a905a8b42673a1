// The snapshotter and content conformance suites through the gRPC proxy: a real tsctrd on a temporary
// root, one fresh namespace per test.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { Connection } from '../client/connection.js';
import { runContentSuite } from '../services/content/testsuite.js';
import { runSnapshotterSuite } from '../services/snapshots/testsuite.js';
import { Tsctrd } from './harness.js';
import { grpcContent, grpcSnapshotter } from './store-proxies.js';

let d: Tsctrd;

beforeAll(async () => {
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
});

/**
 * A connection in a fresh namespace, under a lease as containerd clients work: without one, the
 * GC that runs after each remove would take every snapshot and blob nothing references.
 */
async function connect(): Promise<{ conn: Connection; cleanup: () => Promise<void> }> {
  const base = new Connection({ address: d.address, namespace: `suite-${randomUUID().slice(0, 8)}` });
  const lease = await base.call(base.leases, base.leases.create, { id: '', labels: {} });
  return {
    conn: base.with({ lease: lease.lease!.id }),
    cleanup: async () => {
      await base.call(base.leases, base.leases.delete, { id: lease.lease!.id, sync: false });
      base.close();
    },
  };
}

for (const name of ['overlayfs', 'native']) {
  runSnapshotterSuite(`${name} through the gRPC proxy`, async () => {
    const { conn, cleanup } = await connect();
    return { sn: grpcSnapshotter(conn, name), cleanup };
  });
}

runContentSuite('through the gRPC proxy', async () => {
  const { conn, cleanup } = await connect();
  return { content: grpcContent(conn), cleanup };
});
