// Which URL a registry domain is reached at: Docker Hub's API host, and http only for loopback hosts and
// hosts the caller marks insecure (https everywhere else).
import { isIP } from 'node:net';

export interface HostOptions {
  /** Hosts ("myreg:5000" or "myreg") that may be reached over plain HTTP. Loopback hosts always may. */
  insecure?: string[];
  /** Plain HTTP for every host (ctr --plain-http). */
  plainHttp?: boolean;
}

export interface Endpoint {
  scheme: 'http' | 'https';
  /** host[:port] of the API server ("registry-1.docker.io", "127.0.0.1:5000", "[::1]:5000"). */
  host: string;
  /** scheme://host, no trailing slash. */
  base: string;
}

/** Split "host:port", "[v6]:port" or "host" into hostname (brackets removed) and port. */
export function splitHostPort(host: string): { hostname: string; port: string } {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    const rest = host.slice(end + 1);
    return { hostname: host.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : '' };
  }
  const i = host.lastIndexOf(':');
  if (i !== -1 && host.indexOf(':') === i) return { hostname: host.slice(0, i), port: host.slice(i + 1) };
  return { hostname: host, port: '' };
}

/** localhost, 127.0.0.0/8 or ::1 (with or without a port), like containerd's IsLocalhost. */
export function isLocalhost(host: string): boolean {
  const { hostname } = splitHostPort(host);
  const h = hostname.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

export function allowsPlainHttp(host: string, opts: HostOptions = {}): boolean {
  if (opts.plainHttp || isLocalhost(host)) return true;
  const { hostname } = splitHostPort(host);
  return (opts.insecure ?? []).some((h) => h === host || h === hostname);
}

/** The API endpoint for a reference's domain ("docker.io" → https://registry-1.docker.io). */
export function endpointFor(domain: string, opts: HostOptions = {}): Endpoint {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const plain = allowsPlainHttp(host, opts) || (opts.insecure ?? []).includes(domain);
  const scheme = plain ? 'http' : 'https';
  return { scheme, host, base: `${scheme}://${host}` };
}
