// `GET /networks?filters=` and `POST /networks/prune?filters=`, with dockerd 20.10's keys, matching
// rules and error texts.
import { InvalidParameter } from '../../errdefs/index.js';
import { nowNs, parseDockerTime, parseRFC3339 } from '../../logs/format.js';
import { exactMatch, match, matchLabels, validateFilterKeys, type Filters } from '../../wire/filters.js';
import { isPredefinedName, type NetworkRecord } from './types.js';

export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
export const NETWORK_PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

type Net = Pick<NetworkRecord, 'Id' | 'Name' | 'Driver' | 'Scope' | 'Labels' | 'Created'>;

function danglingOnly(values: readonly string[]): boolean {
  if (values.length > 1) throw new InvalidParameter('got more than one value for filter key "dangling"');
  if (values[0] === '1' || values[0] === 'true') return true;
  if (values[0] === '0' || values[0] === 'false') return false;
  throw new InvalidParameter(
    `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
  );
}

/**
 * The networks that pass `filters`, in the order given. `hasEndpoints` tells which networks have
 * endpoints (for `dangling`). Unknown keys and bad values: InvalidParameter with dockerd's texts.
 */
export function filterNetworks<T extends Net>(
  networks: readonly T[],
  filters: Filters,
  hasEndpoints: (n: T) => boolean,
): T[] {
  validateFilterKeys(filters, NETWORK_LIST_FILTERS);
  let out = networks.filter(
    (n) =>
      exactMatch(filters.get('driver'), n.Driver) &&
      match(filters.get('name'), n.Name) &&
      match(filters.get('id'), n.Id) &&
      matchLabels(filters.get('label'), n.Labels) &&
      exactMatch(filters.get('scope'), n.Scope),
  );
  const dangling = filters.get('dangling') ?? [];
  if (dangling.length > 0) {
    const only = danglingOnly(dangling);
    out = out.filter((n) =>
      only ? !isPredefinedName(n.Name) && !hasEndpoints(n) : isPredefinedName(n.Name) || hasEndpoints(n),
    );
  }
  const types = filters.get('type');
  if (types !== undefined) {
    const byType: T[] = [];
    for (const t of types) {
      if (t !== 'builtin' && t !== 'custom') throw new InvalidParameter(`invalid filter: 'type'='${t}'`);
      byType.push(...out.filter((n) => isPredefinedName(n.Name) === (t === 'builtin')));
    }
    out = byType;
  }
  return out;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds; null when the text is not a duration. */
export function parseGoDuration(s: string): number | null {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return null;
  let total = 0;
  for (const part of m[2].matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  return m[1] === '-' ? -total : total;
}

/** The `until` filter as nanoseconds since the epoch (a duration counts back from now), or null. */
export function pruneUntil(filters: Filters, now: bigint = nowNs()): bigint | null {
  const values = filters.get('until');
  if (!values || values.length === 0) return null;
  if (values.length > 1) throw new InvalidParameter('more than one until filter specified');
  const v = values[0];
  const d = v === '0' ? null : parseGoDuration(v);
  if (d !== null) return now - BigInt(Math.round(d));
  try {
    return parseDockerTime(v);
  } catch (err) {
    throw new InvalidParameter((err as Error).message);
  }
}

/**
 * The networks `POST /networks/prune` removes: custom networks without endpoints, created no later than
 * `until`, matching `label` and not matching `label!`.
 */
export function prunableNetworks<T extends Net>(
  networks: readonly T[],
  filters: Filters,
  hasEndpoints: (n: T) => boolean,
  now: bigint = nowNs(),
): T[] {
  validateFilterKeys(filters, NETWORK_PRUNE_FILTERS);
  const until = pruneUntil(filters, now);
  const notLabels = filters.get('label!') ?? [];
  return networks.filter((n) => {
    if (isPredefinedName(n.Name) || hasEndpoints(n)) return false;
    if (until !== null && parseRFC3339(n.Created) > until) return false;
    if (!matchLabels(filters.get('label'), n.Labels)) return false;
    if (notLabels.length > 0 && matchLabels(notLabels, n.Labels)) return false;
    return true;
  });
}
