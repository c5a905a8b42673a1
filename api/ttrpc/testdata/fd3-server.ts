// Test fixture: a ttrpc server on the listening socket inherited as fd 3, the way a shim v2 daemon
// is started. Answers Task.Connect, and exits by itself after Task.Shutdown.

import { TaskService } from '../../gen/containerd/runtime/task/v2/shim.js';
import { TtrpcServer } from '../server.js';

const server = new TtrpcServer();
server.registerService(TaskService, {
  connect: async () => ({ shimPid: process.pid, taskPid: 0, version: 'fd3' }),
  shutdown: async () => {
    void server.close();
    return {};
  },
});
await server.listen({ fd: 3 });
