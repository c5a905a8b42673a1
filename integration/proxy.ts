// A small HTTP proxy on 127.0.0.1 in front of a test registry: it can slow blob downloads (to catch
// a pull in the middle) or corrupt them (a registry serving bytes that do not match their digest).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Bytes per second for blob bodies (0 = full speed). */
  bytesPerSecond?: number;
  /** Flip one byte in the bodies of blobs whose URL path matches. */
  corrupt?: RegExp;
}

export interface Proxy {
  host: string;
  opts: ProxyOptions;
  close(): Promise<void>;
}

export async function startProxy(target: string, opts: ProxyOptions = {}): Promise<Proxy> {
  const [thost, tport] = target.split(':');
  const server = http.createServer((req, res) => {
    const up = http.request(
      {
        host: thost,
        port: Number(tport),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
      },
      (ur) => {
        const headers = { ...ur.headers };
        if (headers.location)
          headers.location = headers.location.replace(
            target,
            `127.0.0.1:${(server.address() as AddressInfo).port}`,
          );
        res.writeHead(ur.statusCode ?? 502, headers);
        const isBlob = /\/blobs\/sha256:/.test(req.url ?? '') && req.method === 'GET';
        let first = true;
        ur.on('data', (chunk: Buffer) => {
          let out = chunk;
          if (isBlob && first && prox.opts.corrupt?.test(req.url ?? '')) {
            out = Buffer.from(chunk);
            out[0] ^= 0xff;
          }
          first = false;
          if (!res.write(out)) ur.pause();
          const bps = prox.opts.bytesPerSecond ?? 0;
          if (isBlob && bps > 0) {
            ur.pause();
            setTimeout(() => ur.resume(), (out.length / bps) * 1000);
          }
        });
        res.on('drain', () => ur.resume());
        ur.on('end', () => res.end());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const prox: Proxy = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    opts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return prox;
}
