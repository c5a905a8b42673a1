// A logging HTTP proxy on a unix socket in front of a daemon's socket: every request a client makes,
// as `METHOD path status` with the query decoded, to compare with what the client did against the
// real dockerd. Plain request/response only (no attach or hijack).
import http from 'node:http';
import path from 'node:path';

export interface CallLog {
  socket: string;
  calls: string[];
  close(): Promise<void>;
}

export async function startCallLog(upstream: string, dir: string): Promise<CallLog> {
  const socket = path.join(dir, `calls-${process.pid}-${Date.now()}.sock`);
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    const up = http.request(
      { socketPath: upstream, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        calls.push(`${req.method} ${decodeURIComponent(req.url ?? '').replace(/\+/g, ' ')} ${ur.statusCode}`);
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
