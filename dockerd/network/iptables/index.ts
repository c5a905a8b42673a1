// iptables for Docker networking, exactly as dockerd 20.10 programs it, under a configurable chain
// prefix. Public API:
//
//   new Firewall({ enabled?, prefix?, userlandProxy?, log? })
//     enabled        `--iptables` (default true); false makes every method a no-op.
//     prefix         chain names: `<prefix>`, `<prefix>-USER`, `<prefix>-ISOLATION-STAGE-1/2`
//                    (default `DOCKER`; tests use another one so a real dockerd is never touched).
//     userlandProxy  default false = dockerd's `--userland-proxy=false` (hairpin) mode: nat OUTPUT
//                    jumps without `! -d 127.0.0.0/8`, `-o <br> -m addrtype --src-type LOCAL -j
//                    MASQUERADE` per bridge, DNATs without `! -i <br>`, no `<prefix> -i <br> -j RETURN`.
//                    true = the rules of the reference captures (dockerd's default mode).
//   .ensureBase()                   daemon start: chains, RETURN rules, FORWARD/PREROUTING/OUTPUT jumps
//   .ensureBridge(BridgeRules)      network create / daemon start: FORWARD quartet, isolation, MASQUERADE,
//                                   icc, internal; new bridges' rules go above older ones, as in dockerd
//   .removeBridge(BridgeRules)      network rm: exactly those rules
//   .publish(PortRule[])            container start: DNAT + ACCEPT + hairpin MASQUERADE per IPv4 port
//   .unpublish(PortRule[])          container stop
//   .link(LinkRule[]) / .unlink()   `--icc=false` links: ACCEPT parent→child port and back
//   .sweep(keepBridges, keepPorts)  after a restart: drop rules of bridges/ports no longer wanted
//   .removeAll(bridges?)            explicit cleanup: jumps and chains of this prefix
//   .rules()                        iptables-save, parsed (table → chain → rule specs)
//   setupIpForwarding(manageIptables)  `--ip-forward`: ip_forward=1 if it was 0, and then (only then)
//                                   FORWARD policy DROP when iptables is managed, as dockerd
//
// Every operation is one `iptables-restore -w --noflush` process (plus one `iptables-save` for
// all but publish/unpublish); rules already present are never added twice, and a deletion is
// only sent for a rule that is there. Operations are serialized.
export { Firewall, type FirewallOptions } from './firewall.js';
export {
  type BridgeRules,
  type ChainNames,
  type PortRule,
  type LinkRule,
  chainNames,
  baseSteps,
  bridgeSteps,
  bridgeRemovalSteps,
  portSteps,
  portRemovalSteps,
} from './rules.js';
export { type Snapshot, parseSave, compile, renderBatch } from './state.js';
export { runTool, ToolError } from './run.js';
export { setupIpForwarding, type ForwardingResult } from './forwarding.js';
