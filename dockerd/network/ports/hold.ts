// A held host port: a listening TCP socket or a bound UDP socket on the published host address, so
// that nobody else can take the port while a container publishes it and a second bind fails the way
// Docker's does. The kernel DNATs the IPv4 traffic before it reaches these sockets; a TCP
// connection that does arrive (the `::` entries, which have no ip6tables rules) is relayed to the
// container, as docker-proxy would.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Proto } from './parse.js';

export interface HeldSocket {
  close(): void;
}

export interface RelayTarget {
  ip: string;
  port: number;
}

/** Go's wording of the bind errors dockerd reports (`bind: address already in use`). */
const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
  EAFNOSUPPORT: 'address family not supported by protocol',
};

export class BindError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BindError';
  }
}

function hostPort(ip: string, port: number): string {
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function bindError(err: NodeJS.ErrnoException, proto: Proto, ip: string, port: number): BindError {
  const code = err.code ?? 'EIO';
  const net6 = ip.includes(':') ? '6' : '4';
  const text = ERRNO_TEXT[code] ?? err.message;
  return new BindError(code, `listen ${proto}${net6} ${hostPort(ip, port)}: bind: ${text}`);
}

function relay(client: net.Socket, target: RelayTarget): void {
  const upstream = net.connect(target.port, target.ip);
  client.pipe(upstream).pipe(client);
  const stop = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', stop);
  upstream.on('error', stop);
}

/** Binds `ip:port` (and listens, for tcp). Rejects with a BindError in dockerd's words. */
export function holdPort(proto: Proto, ip: string, port: number, target?: RelayTarget): Promise<HeldSocket> {
  const v6 = ip.includes(':');
  return new Promise((resolve, reject) => {
    if (proto === 'tcp') {
      const server = net.createServer((c) => (target ? relay(c, target) : c.destroy()));
      server.once('error', (err: NodeJS.ErrnoException) => reject(bindError(err, proto, ip, port)));
      server.listen({ host: ip, port, ipv6Only: v6, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => {});
        resolve({ close: () => server.close() });
      });
    } else {
      const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        sock.close();
        reject(bindError(err, proto, ip, port));
      });
      sock.bind({ address: ip, port, exclusive: true }, () => {
        sock.removeAllListeners('error');
        sock.on('error', () => {});
        resolve({ close: () => sock.close() });
      });
    }
  });
}

let v6Listenable: Promise<boolean> | undefined;

/** Whether `[::1]:0` can be listened on (false when the kernel has IPv6 disabled), as dockerd checks. */
export function isV6Listenable(): Promise<boolean> {
  v6Listenable ??= new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '::1', port: 0, ipv6Only: true }, () => s.close(() => resolve(true)));
  });
  return v6Listenable;
}
