// IPv4 arithmetic for the bridge driver: addresses as unsigned 32-bit numbers.

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export interface Cidr {
  base: number;
  prefixLen: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split('/');
  const prefixLen = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32)
    throw new Error(`invalid CIDR ${cidr}`);
  return { base: (ipToInt(ip) & mask(prefixLen)) >>> 0, prefixLen };
}

function mask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** The network in canonical form, host bits cleared: `172.18.0.0/16`. */
export function networkOf(ip: string, prefixLen: number): string {
  return `${intToIp((ipToInt(ip) & mask(prefixLen)) >>> 0)}/${prefixLen}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.prefixLen, b.prefixLen);
  return ((a.base ^ b.base) & mask(len)) >>> 0 === 0;
}

/** Docker's MAC for an IPv4 address: 02:42 then the four address bytes. */
export function macFromIp(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0'))].join(
    ':',
  );
}
