// Where networks get their subnets when the client names none: Docker's predefined local pools (or the
// daemon's `default-address-pools`), handed out as the real dockerd 20.10 did on this machine
// (reference §2.1): the lowest free pool, so a freed one is reused at once; pools that overlap a taken
// subnet or a route of the host are skipped.
import { InvalidParameter } from '../../errdefs/index.js';
import { cidrSize, cidrsOverlap, parseCidr, splitCidr, type Cidr } from './cidr.js';
import type { Family } from './ip.js';

/** One `default-address-pools` entry, daemon.json's shape: `{"base":"10.10.0.0/16","size":24}`. */
export interface AddressPool {
  base: string;
  size: number;
}

/** libnetwork's local-scope defaults: 172.17–19/16, three /14 split into /16, 192.168/16 split into /20. */
export const DOCKER_DEFAULT_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

interface Base {
  cidr: Cidr;
  size: number;
  count: number;
}

function checkedBases(pools: readonly AddressPool[]): Base[] {
  return pools.map((p) => {
    const cidr = typeof p.base === 'string' ? parseCidr(p.base) : null;
    if (!cidr) throw new InvalidParameter(`invalid base pool "${p.base}": invalid CIDR address: ${p.base}`);
    if (!Number.isInteger(p.size) || p.size <= 0 || p.size < cidr.prefix)
      throw new InvalidParameter(`invalid pools size: ${p.size}`);
    const split = cidrSize(cidr) / cidrSize({ family: cidr.family, network: 0n, prefix: p.size });
    // A split into more than 2^24 subnets cannot be searched; Docker would not finish either.
    if (split > 1n << 24n) throw new InvalidParameter(`invalid pools size: ${p.size}`);
    return { cidr, size: p.size, count: Number(split) };
  });
}

export class PoolPicker {
  private readonly bases: Base[];
  private readonly total: number;
  /** Index of the pool the next search starts from (libnetwork's predefinedStartIndices). */

  /** `pools`: the daemon's `default-address-pools`, Docker's defaults when absent or empty. */
  constructor(pools?: readonly AddressPool[] | null) {
    this.bases = checkedBases(pools && pools.length > 0 ? pools : DOCKER_DEFAULT_POOLS);
    this.total = this.bases.reduce((n, b) => n + b.count, 0);
  }

  /** The i-th predefined subnet, in list order. */
  private at(i: number): Cidr {
    let rest = i;
    for (const b of this.bases) {
      if (rest < b.count) {
        const step = cidrSize({ family: b.cidr.family, network: 0n, prefix: b.size });
        return { family: b.cidr.family, network: b.cidr.network + BigInt(rest) * step, prefix: b.size };
      }
      rest -= b.count;
    }
    throw new RangeError(`pool index ${i} out of range`);
  }

  private usable(c: Cidr, family: Family, taken: readonly Cidr[], routes: readonly Cidr[]): boolean {
    return (
      c.family === family && !taken.some((t) => cidrsOverlap(t, c)) && !routes.some((r) => cidrsOverlap(r, c))
    );
  }

  /** The lowest free predefined subnet of `family` for a new network; null when none is left. */
  next(family: Family, taken: readonly Cidr[], hostRoutes: readonly Cidr[]): Cidr | null {
    return this.first(family, taken, hostRoutes);
  }

  /** The first free predefined subnet from the start of the list (how dockerd picks docker0's subnet). */
  first(family: Family, taken: readonly Cidr[], hostRoutes: readonly Cidr[]): Cidr | null {
    for (let i = 0; i < this.total; i++) {
      const c = this.at(i);
      if (this.usable(c, family, taken, hostRoutes)) return c;
    }
    return null;
  }

  /** Every predefined subnet, in order (for tests and diagnostics; the list may be long). */
  *all(): Generator<Cidr> {
    for (const b of this.bases) yield* splitCidr(b.cidr, b.size);
  }
}
