// The daemon's one handle on iptables: it turns the steps of rules.ts into one
// `iptables-restore --noflush -w` process per operation, after one `iptables-save` for the
// operations that must see the kernel as it is (start-up, network create/remove, sweeps). Published
// ports reuse the last snapshot, kept current as batches are applied, so a container start costs
// one process. Operations run one at a time. With `enabled: false` (`--iptables=false`) every
// method does nothing.
import type { Logger } from 'pino';
import {
  type BridgeRules,
  type ChainNames,
  type LinkRule,
  type PortRule,
  type RuleMode,
  type Step,
  baseRemovalSteps,
  baseSteps,
  bridgeRemovalSteps,
  bridgeSteps,
  chainNames,
  linkRemovalSteps,
  linkSteps,
  mentionsBridge,
  portRemovalSteps,
  portSteps,
} from './rules.js';
import { runTool } from './run.js';
import { type Snapshot, cloneSnapshot, compile, parseSave, renderBatch } from './state.js';

export interface FirewallOptions {
  /** `--iptables` (default true). */
  enabled?: boolean;
  /** Chain prefix (default `DOCKER`): `DOCKER`, `DOCKER-USER`, `DOCKER-ISOLATION-STAGE-1/2`. */
  prefix?: string;
  /** `--userland-proxy` (default false: tsctr publishes through the kernel only, hairpin mode). */
  userlandProxy?: boolean;
  log?: Logger;
  /** Paths of the tools (tests and odd hosts). */
  iptablesSave?: string;
  iptablesRestore?: string;
}

export class Firewall {
  readonly enabled: boolean;
  readonly names: ChainNames;
  readonly mode: RuleMode;
  private readonly save: string;
  private readonly restore: string;
  private readonly log?: Logger;
  private snapshot?: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: FirewallOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.names = chainNames(opts.prefix ?? 'DOCKER');
    this.mode = { names: this.names, hairpin: !(opts.userlandProxy ?? false) };
    this.save = opts.iptablesSave ?? 'iptables-save';
    this.restore = opts.iptablesRestore ?? 'iptables-restore';
    this.log = opts.log;
  }

  /** Daemon start: our chains, their RETURN rules and the jumps into them (idempotent). */
  ensureBase(): Promise<void> {
    return this.apply(baseSteps(this.mode), true);
  }

  /** Network create (and daemon start, per existing network): the bridge's rules (idempotent). */
  ensureBridge(b: BridgeRules): Promise<void> {
    // Against our last view of the kernel (we are the only writer of our chains and bridges); a batch
    // that fails on a stale view is retried against a fresh iptables-save.
    return this.apply(bridgeSteps(this.mode, b), false);
  }

  /** Network remove: exactly the rules `ensureBridge` added for this bridge. */
  removeBridge(b: BridgeRules): Promise<void> {
    return this.apply(bridgeRemovalSteps(this.mode, b), false);
  }

  /** Container start: DNAT, ACCEPT and hairpin MASQUERADE per published IPv4 port. */
  publish(ports: PortRule[]): Promise<void> {
    return this.apply(portSteps(this.mode, ports), false);
  }

  /** Container stop: the rules `publish` added for these ports. */
  unpublish(ports: PortRule[]): Promise<void> {
    return this.apply(portRemovalSteps(this.mode, ports), false);
  }

  /** Start of a container with links on a bridge without icc: ACCEPT both ways per exposed port. */
  link(links: LinkRule[]): Promise<void> {
    return this.apply(linkSteps(this.mode, links), false);
  }

  /** Its stop: the rules `link` added. */
  unlink(links: LinkRule[]): Promise<void> {
    return this.apply(linkRemovalSteps(this.mode, links), false);
  }

  /**
   * After a restart: deletes the rules of bridges and published ports that are no longer wanted —
   * any rule in our chains or on the built-in chains that names a bridge of ours not in `keepBridges`,
   * and any published-port rule for one of `keepBridges` that `keepPorts` does not produce.
   */
  sweep(keepBridges: BridgeRules[], keepPorts: PortRule[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return this.serial(async () => {
      const snap = await this.read();
      const steps = this.sweepSteps(snap, keepBridges, keepPorts);
      await this.run(steps, snap);
    });
  }

  /** Explicit cleanup (tests, `--iptables` turned off): the jumps and our chains, with all their rules. */
  removeAll(bridges: BridgeRules[] = []): Promise<void> {
    const steps = [
      ...bridges.flatMap((b) => bridgeRemovalSteps(this.mode, b)),
      ...baseRemovalSteps(this.mode),
    ];
    return this.apply(steps, true);
  }

  /** The rules the kernel has now, as iptables-save prints them (one process). */
  async rules(): Promise<Snapshot> {
    return this.serial(() => this.read());
  }

  private sweepSteps(snap: Snapshot, keepBridges: BridgeRules[], keepPorts: PortRule[]): Step[] {
    const keepNames = new Set(keepBridges.map((b) => b.bridge));
    const iso2 = snap.get('filter')?.get(this.names.isolation2) ?? [];
    const ours = new Set(iso2.map((r) => /^-o (\S+) -j DROP$/.exec(r)?.[1]).filter((b): b is string => !!b));
    const gone = [...ours].filter((b) => !keepNames.has(b));
    const steps: Step[] = [];
    const wanted = new Set(portSteps(this.mode, keepPorts).map((s) => (s.kind === 'rule' ? s.rule : '')));
    const bridgeIps = keepBridges.map((b) => b.bridge);
    for (const [table, chains] of snap) {
      if (table !== 'filter' && table !== 'nat') continue;
      for (const [chain, rules] of chains) {
        for (const rule of rules) {
          const del: Step = { kind: 'delete', table, chain, rule };
          if (gone.some((b) => mentionsBridge(rule, b))) steps.push(del);
          else if (this.isPortRule(table, chain, rule, bridgeIps) && !wanted.has(rule)) steps.push(del);
        }
      }
    }
    return steps;
  }

  /** A published-port rule of ours: a DNAT in nat DOCKER, an ACCEPT in filter DOCKER, a hairpin MASQUERADE. */
  private isPortRule(table: string, chain: string, rule: string, bridges: string[]): boolean {
    if (chain === this.names.docker) {
      if (table === 'nat') return rule.includes(' -j DNAT ');
      return (
        /^-d \S+ ! -i \S+ -o \S+ -p (tcp|udp) .* -j ACCEPT$/.test(rule) &&
        bridges.some((b) => mentionsBridge(rule, b))
      );
    }
    if (table === 'nat' && chain === 'POSTROUTING') {
      const m = /^-s (\S+)\/32 -d (\S+)\/32 -p (tcp|udp) -m \3 --dport \d+ -j MASQUERADE$/.exec(rule);
      // Only for addresses our own DOCKER chain accepts traffic to: never another daemon's.
      if (!m || m[1] !== m[2]) return false;
      const accepts = this.snapshot?.get('filter')?.get(this.names.docker) ?? [];
      return accepts.some((r) => r.startsWith(`-d ${m[1]}/32 `));
    }
    return false;
  }

  private apply(steps: Step[], fresh: boolean): Promise<void> {
    if (!this.enabled || steps.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const snap = fresh || !this.snapshot ? await this.read() : this.snapshot;
      try {
        await this.run(steps, snap);
      } catch (err) {
        // Someone changed the rules under us (or the cached view was stale): look again, retry once.
        this.log?.warn({ err }, 'iptables batch failed; retrying against a fresh iptables-save');
        await this.run(steps, await this.read());
      }
    });
  }

  private async run(steps: Step[], snap: Snapshot): Promise<void> {
    const next = cloneSnapshot(snap);
    const text = renderBatch(compile(steps, next));
    if (text) {
      this.log?.debug({ batch: text }, 'iptables-restore');
      try {
        await runTool(this.restore, ['-w', '--noflush'], text);
      } catch (err) {
        this.snapshot = undefined;
        throw err;
      }
    }
    this.snapshot = next;
  }

  private async read(): Promise<Snapshot> {
    const snap = parseSave(await runTool(this.save, []));
    this.snapshot = snap;
    return snap;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }
}
