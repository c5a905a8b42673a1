// The iptables rules dockerd 20.10 programs, as ordered steps (the same order and the same
// insert-at-top / append choices as libnetwork's bridge driver, so the resulting chains read exactly
// like dockerd's). Rule texts are written in iptables-save's canonical form, so that a snapshot of
// the kernel's rules can be compared line by line with what we want.
//
// Sources of truth: reference/docker-networking-build.md §2.1–2.3 and docker-trace-net/iptables-*.txt
// (userland-proxy mode, as captured), and libnetwork's setup_ip_tables.go / iptables.go for the
// hairpin mode (`--userland-proxy=false`) that tsctr runs by default.

export type Table = 'filter' | 'nat';

/** Create the chain when it is missing (never flushes an existing one). */
export interface ChainStep {
  kind: 'chain';
  table: Table;
  chain: string;
}

/** Add the rule when it is missing: at the top of the chain (`-I`) or at its end (`-A`). */
export interface RuleStep {
  kind: 'rule';
  table: Table;
  chain: string;
  rule: string;
  at: 'top' | 'end';
}

/** Delete the rule when it is present. */
export interface DeleteStep {
  kind: 'delete';
  table: Table;
  chain: string;
  rule: string;
}

/** Make `rules` the first rules of `chain`, in this order (dockerd's EnsureJumpRule). */
export interface HeadStep {
  kind: 'head';
  table: Table;
  chain: string;
  rules: string[];
}

/** Flush and delete a chain of ours when it exists. */
export interface DropChainStep {
  kind: 'dropChain';
  table: Table;
  chain: string;
}

export type Step = ChainStep | RuleStep | DeleteStep | HeadStep | DropChainStep;

/** The names of our chains: `DOCKER`, `DOCKER-USER`, … or the same under another prefix. */
export interface ChainNames {
  /** `DOCKER` in both the nat table (DNAT) and the filter table (ACCEPT per published port). */
  docker: string;
  user: string;
  isolation1: string;
  isolation2: string;
}

export function chainNames(prefix = 'DOCKER'): ChainNames {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,9}$/.test(prefix))
    throw new Error(
      `invalid iptables chain prefix ${JSON.stringify(prefix)}: 1-10 letters, digits, - or _ (chain names are at most 28 characters)`,
    );
  return {
    docker: prefix,
    user: `${prefix}-USER`,
    isolation1: `${prefix}-ISOLATION-STAGE-1`,
    isolation2: `${prefix}-ISOLATION-STAGE-2`,
  };
}

export interface RuleMode {
  names: ChainNames;
  /**
   * dockerd's hairpin mode (`--userland-proxy=false`): the host's own traffic to 127.0.0.1 is DNATed
   * too (no `! -d 127.0.0.0/8` in nat OUTPUT), locally sourced traffic into a bridge is masqueraded,
   * DNAT rules have no `! -i <bridge>`, and there is no `DOCKER -i <bridge> -j RETURN`.
   */
  hairpin: boolean;
}

/** One bridge network as the firewall sees it. */
export interface BridgeRules {
  /** Interface name: `docker0`, `br-<id12>`, or the `com.docker.network.bridge.name` option. */
  bridge: string;
  /** The network's IPv4 subnet in CIDR form with the host bits cleared, e.g. `172.18.0.0/16`. */
  subnet: string;
  /** `com.docker.network.bridge.enable_icc` (default true); `--icc=false` for the default bridge. */
  icc?: boolean;
  /** `com.docker.network.bridge.enable_ip_masquerade` (default true). */
  masquerade?: boolean;
  /** `--internal`: no way out of the subnet, no NAT. */
  internal?: boolean;
  /** `com.docker.network.host_ipv4`: SNAT to this address instead of MASQUERADE. */
  hostIp?: string;
}

/** One published port on an IPv4 host address (the `::` entries have no iptables rules). */
export interface PortRule {
  bridge: string;
  proto: 'tcp' | 'udp';
  /** `0.0.0.0` for all addresses, or one IPv4 address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const chain = (table: Table, name: string): ChainStep => ({ kind: 'chain', table, chain: name });
const top = (table: Table, ch: string, rule: string): RuleStep => ({
  kind: 'rule',
  table,
  chain: ch,
  rule,
  at: 'top',
});
const end = (table: Table, ch: string, rule: string): RuleStep => ({
  kind: 'rule',
  table,
  chain: ch,
  rule,
  at: 'end',
});

/** The chains and jumps dockerd sets up at start, before any bridge. */
export function baseSteps({ names, hairpin }: RuleMode): Step[] {
  const local = '-m addrtype --dst-type LOCAL';
  return [
    chain('nat', names.docker),
    chain('filter', names.docker),
    chain('filter', names.isolation1),
    chain('filter', names.isolation2),
    end('filter', names.isolation1, '-j RETURN'),
    end('filter', names.isolation2, '-j RETURN'),
    end('nat', 'PREROUTING', `${local} -j ${names.docker}`),
    end(
      'nat',
      'OUTPUT',
      hairpin ? `${local} -j ${names.docker}` : `! -d 127.0.0.0/8 ${local} -j ${names.docker}`,
    ),
    chain('filter', names.user),
    end('filter', names.user, '-j RETURN'),
    forwardHead(names),
  ];
}

/** FORWARD starts with the jump to DOCKER-USER, then the one to DOCKER-ISOLATION-STAGE-1. */
function forwardHead(names: ChainNames): HeadStep {
  return {
    kind: 'head',
    table: 'filter',
    chain: 'FORWARD',
    rules: [`-j ${names.user}`, `-j ${names.isolation1}`],
  };
}

function iccRules(b: BridgeRules) {
  return { accept: `-i ${b.bridge} -o ${b.bridge} -j ACCEPT`, drop: `-i ${b.bridge} -o ${b.bridge} -j DROP` };
}

/** Every rule one bridge owns, by table and chain, in the order dockerd adds them. */
export function bridgeSteps(mode: RuleMode, b: BridgeRules): Step[] {
  const { names, hairpin } = mode;
  const br = b.bridge;
  const icc = b.icc ?? true;
  const masq = b.masquerade ?? true;
  const out = b.hostIp ? `-j SNAT --to-source ${b.hostIp}` : '-j MASQUERADE';
  const steps: Step[] = [...baseSteps(mode)];
  const { accept, drop } = iccRules(b);
  const iccSteps: Step[] = icc
    ? [{ kind: 'delete', table: 'filter', chain: 'FORWARD', rule: drop }, top('filter', 'FORWARD', accept)]
    : [{ kind: 'delete', table: 'filter', chain: 'FORWARD', rule: accept }, end('filter', 'FORWARD', drop)];
  if (b.internal) {
    steps.push(top('filter', names.isolation1, `! -d ${b.subnet} -i ${br} -j DROP`));
    steps.push(top('filter', names.isolation1, `! -s ${b.subnet} -o ${br} -j DROP`));
    steps.push(...iccSteps);
  } else {
    if (masq) steps.push(top('nat', 'POSTROUTING', `-s ${b.subnet} ! -o ${br} ${out}`));
    if (masq && !hairpin) steps.push(top('nat', names.docker, `-i ${br} -j RETURN`));
    if (hairpin) steps.push(top('nat', 'POSTROUTING', `-o ${br} -m addrtype --src-type LOCAL ${out}`));
    steps.push(...iccSteps);
    steps.push(top('filter', 'FORWARD', `-i ${br} ! -o ${br} -j ACCEPT`));
    steps.push(top('filter', 'FORWARD', `-o ${br} -j ${names.docker}`));
    steps.push(top('filter', 'FORWARD', `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`));
  }
  // Isolation from every other bridge: traffic entering from this bridge towards another interface
  // goes to stage 2, where anything leaving through any bridge of ours is dropped.
  steps.push(top('filter', names.isolation1, `-i ${br} ! -o ${br} -j ${names.isolation2}`));
  steps.push(top('filter', names.isolation2, `-o ${br} -j DROP`));
  steps.push(forwardHead(names));
  return steps;
}

/** The deletions that undo `bridgeSteps` (whatever icc setting was used). */
export function bridgeRemovalSteps(mode: RuleMode, b: BridgeRules): Step[] {
  const dels: Step[] = [];
  for (const s of [...bridgeSteps(mode, { ...b, icc: true }), ...bridgeSteps(mode, { ...b, icc: false })]) {
    if (s.kind !== 'rule' || !mentionsBridge(s.rule, b.bridge)) continue;
    if (dels.some((d) => d.kind === 'delete' && d.chain === s.chain && d.rule === s.rule)) continue;
    dels.push({ kind: 'delete', table: s.table, chain: s.chain, rule: s.rule });
  }
  return dels;
}

/** Whether a rule names the interface (`-i br`, `! -o br`, …) rather than merely containing the text. */
export function mentionsBridge(rule: string, bridge: string): boolean {
  const t = rule.split(' ');
  return t.some((tok, i) => tok === bridge && (t[i - 1] === '-i' || t[i - 1] === '-o'));
}

function portRuleTexts({ names, hairpin }: RuleMode, p: PortRule) {
  const m = `-p ${p.proto} -m ${p.proto}`;
  const dest = p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `;
  const notFromBridge = hairpin ? '' : `! -i ${p.bridge} `;
  return [
    {
      table: 'nat' as const,
      chain: names.docker,
      rule: `${dest}${notFromBridge}${m} --dport ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`,
    },
    {
      table: 'filter' as const,
      chain: names.docker,
      rule: `-d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} ${m} --dport ${p.containerPort} -j ACCEPT`,
    },
    {
      table: 'nat' as const,
      chain: 'POSTROUTING',
      rule: `-s ${p.containerIp}/32 -d ${p.containerIp}/32 ${m} --dport ${p.containerPort} -j MASQUERADE`,
    },
  ];
}

/** Per published port: the DNAT, the ACCEPT in filter DOCKER, the hairpin MASQUERADE (all appended). */
export function portSteps(mode: RuleMode, ports: PortRule[]): Step[] {
  return ports.flatMap((p) => portRuleTexts(mode, p).map((r) => end(r.table, r.chain, r.rule)));
}

/** The deletions that undo `portSteps` for these ports. */
export function portRemovalSteps(mode: RuleMode, ports: PortRule[]): Step[] {
  return ports.flatMap((p) =>
    portRuleTexts(mode, p).map((r): Step => ({
      kind: 'delete',
      table: r.table,
      chain: r.chain,
      rule: r.rule,
    })),
  );
}

/**
 * A legacy link on a bridge without inter-container communication (`--icc=false`): the linking
 * (parent) container may reach the target's (child's) exposed port, and the answers may come back.
 */
export interface LinkRule {
  bridge: string;
  parentIp: string;
  childIp: string;
  proto: 'tcp' | 'udp';
  port: number;
}

/** dockerd's pair per link and exposed port, in filter DOCKER (iptables-save's form). */
function linkRuleTexts({ names }: RuleMode, l: LinkRule) {
  const m = `-i ${l.bridge} -o ${l.bridge} -p ${l.proto} -m ${l.proto}`;
  return [
    { chain: names.docker, rule: `-s ${l.parentIp}/32 -d ${l.childIp}/32 ${m} --dport ${l.port} -j ACCEPT` },
    { chain: names.docker, rule: `-s ${l.childIp}/32 -d ${l.parentIp}/32 ${m} --sport ${l.port} -j ACCEPT` },
  ];
}

/** Container start: the link rules, appended (as dockerd's `-A`). */
export function linkSteps(mode: RuleMode, links: LinkRule[]): Step[] {
  return links.flatMap((l) => linkRuleTexts(mode, l).map((r) => end('filter', r.chain, r.rule)));
}

/** Container stop: the deletions that undo `linkSteps`. */
export function linkRemovalSteps(mode: RuleMode, links: LinkRule[]): Step[] {
  return links.flatMap((l) =>
    linkRuleTexts(mode, l).map((r): Step => ({
      kind: 'delete',
      table: 'filter',
      chain: r.chain,
      rule: r.rule,
    })),
  );
}

/** What `baseSteps` added: the jumps from the built-in chains, then our chains themselves. */
export function baseRemovalSteps(mode: RuleMode): Step[] {
  const { names } = mode;
  const jumps = baseSteps(mode).flatMap((s): Step[] => {
    if (s.kind === 'rule' && !Object.values(names).includes(s.chain))
      return [{ kind: 'delete', table: s.table, chain: s.chain, rule: s.rule }];
    if (s.kind === 'head')
      return s.rules.map((rule): Step => ({ kind: 'delete', table: s.table, chain: s.chain, rule }));
    return [];
  });
  const chains: Step[] = [
    { kind: 'dropChain', table: 'nat', chain: names.docker },
    { kind: 'dropChain', table: 'filter', chain: names.docker },
    { kind: 'dropChain', table: 'filter', chain: names.user },
    { kind: 'dropChain', table: 'filter', chain: names.isolation1 },
    { kind: 'dropChain', table: 'filter', chain: names.isolation2 },
  ];
  return [...jumps, ...chains];
}
