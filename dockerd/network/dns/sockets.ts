// Sockets that live in a container's network namespace although this process stays in its own.
// A socket belongs to the namespace of the thread that created it, so each one is created inside
// a synchronous `withNetns` window:
// - UDP: a dgram socket whose `lookup` answers synchronously, so that `bind` creates and binds the
//   file descriptor inside the call;
// - TCP listener: socket/bind/listen through libc (koffi), the ready fd is then given to net.Server;
// - TCP client: net.connect to a host *name* whose `lookup` answers synchronously, so that libuv
//   creates and connects the socket inside the call (an IP literal would defer it to a later tick).
import dgram from 'node:dgram';
import net from 'node:net';
import koffi from 'koffi';
import { withNetns } from '../netns.js';

/** 127.0.0.11, Docker's resolver address inside every container on a user network. */
export const RESOLVER_IP = '127.0.0.11';

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

interface SocketCalls {
  socket: (domain: number, type: number, proto: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  close: (fd: number) => number;
}

let calls: SocketCalls | undefined;

function libc(): SocketCalls {
  if (!calls) {
    const lib = koffi.load('libc.so.6');
    const fn = <T>(decl: string) => lib.func(decl) as unknown as T;
    calls = {
      socket: fn('int socket(int domain, int type, int protocol)'),
      bind: fn('int bind(int fd, const uint8_t *addr, uint32_t len)'),
      listen: fn('int listen(int fd, int backlog)'),
      close: fn('int close(int fd)'),
    };
  }
  return calls;
}

type OneAddress = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** A dgram `lookup` that answers at once with the address it is given. */
function sameAddress(host: string, _opts: unknown, cb: OneAddress): void {
  cb(null, host, net.isIP(host) || 4);
}

/** A net `lookup` that answers at once with a fixed address, in either callback form. */
function fixedAddress(address: string): net.LookupFunction {
  const family = net.isIP(address) || 4;
  return (_host, opts, cb) => {
    if (opts.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
}

function sockaddrIn(ip: string, port: number): Buffer {
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(AF_INET, 0); // sa_family is in host order (little-endian here)
  sa.writeUInt16BE(port, 2);
  Buffer.from(ip.split('.').map(Number)).copy(sa, 4);
  return sa;
}

function errnoError(what: string): NodeJS.ErrnoException {
  const errno = koffi.errno();
  const e = new Error(`${what} failed: errno ${errno}`) as NodeJS.ErrnoException;
  e.errno = errno;
  return e;
}

/** A UDP socket bound to `ip:port` (0 = any free port) inside the namespace at `file`. */
export function udpSocketIn(file: string, ip: string, port: number): dgram.Socket {
  return withNetns(file, () => {
    const sock = dgram.createSocket({ type: net.isIP(ip) === 6 ? 'udp6' : 'udp4', lookup: sameAddress });
    let failure: Error | undefined;
    const onError = (err: Error) => (failure = err);
    sock.once('error', onError);
    sock.bind(port, ip); // with a synchronous lookup the bind happens here, inside the namespace
    sock.off('error', onError);
    if (failure) {
      sock.close();
      throw failure;
    }
    return sock;
  });
}

/** A TCP server listening on `ip:port` (0 = any free port) inside the namespace at `file`. */
export async function tcpServerIn(file: string, ip: string, port: number): Promise<net.Server> {
  const c = libc();
  const fd = withNetns(file, () => {
    const s = c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) throw errnoError('socket');
    if (c.bind(s, sockaddrIn(ip, port), 16) !== 0 || c.listen(s, 128) !== 0) {
      const err = errnoError(`bind/listen ${ip}:${port}`);
      c.close(s);
      throw err;
    }
    return s;
  });
  const server = net.createServer({ pauseOnConnect: false });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    c.close(fd);
    throw err;
  }
  return server;
}

/**
 * A UDP socket connected to `ip:port`, created in the namespace at `file` (or in this process's
 * own when `file` is undefined). Connected, so an ICMP "port unreachable" fails it at once.
 */
export function udpClient(file: string | undefined, ip: string, port: number): dgram.Socket {
  const make = () => {
    const sock = dgram.createSocket({ type: net.isIP(ip) === 6 ? 'udp6' : 'udp4', lookup: sameAddress });
    sock.connect(port, ip); // binds and connects synchronously thanks to the lookup
    return sock;
  };
  return file === undefined ? make() : withNetns(file, make);
}

/** A TCP connection to `ip:port` from the namespace at `file` (or from this process's own). */
export function tcpClient(file: string | undefined, ip: string, port: number): net.Socket {
  const make = () =>
    net.connect({
      host: 'upstream',
      port,
      lookup: fixedAddress(ip),
      autoSelectFamily: false,
      family: net.isIP(ip),
    });
  return file === undefined ? net.connect({ host: ip, port }) : withNetns(file, make);
}
