// What the embedded server says to one query, without any I/O (libnetwork resolver.go ServeDNS):
// A/AAAA/PTR from the name table, TTL 600, RA set, never authoritative; a known name in the other
// family or with another type (MX, TXT, …) gets NOERROR with no answer; everything else is for the
// upstreams. Also the encoding with UDP truncation and the SERVFAIL sent when no upstream answered.
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { isIP } from 'node:net';
import type { NameTable } from './names.js';

export const TTL = 600;
const FLAG_RD = 0x100;
const FLAG_RA = 0x80;
const FLAG_TC = 0x200;
const FLAG_CD = 0x10;
const OPCODE_MASK = 0x7800;
const RCODE_SERVFAIL = 2;
/** Smallest UDP answer every client accepts (RFC 1035); EDNS may allow more. */
export const MIN_UDP_SIZE = 512;
/** Largest DNS message over TCP (two-byte length prefix), as miekg/dns' MaxMsgSize - 1. */
export const MAX_TCP_SIZE = 65534;

export interface AskContext {
  table: NameTable;
  /** The container whose sandbox the query came from. */
  asker: string;
  /** The container's resolv.conf sets ndots itself: unknown single-label names are not forwarded. */
  ndotsSet?: boolean;
}

export type Verdict = { kind: 'reply'; packet: Packet } | { kind: 'forward' };

/**
 * True when dns-packet writes `name` back as it read it: its decoder joins labels with "." without
 * escaping and reads bytes as UTF-8, so a label with invalid UTF-8, a name whose labels outgrow 63
 * bytes once re-encoded, or one over 255 bytes would go out as a reply no client can decode.
 */
function echoable(name: string): boolean {
  const bare = name.replace(/^\.|\.$/g, '');
  if (bare === '') return true;
  if (name.includes('\ufffd') || Buffer.byteLength(bare) + 2 > 255) return false;
  return bare.split('.').every((label) => label.length > 0 && Buffer.byteLength(label) <= 63);
}

/**
 * The reply skeleton: same id, opcode, RD and CD; QR and RA set; AA clear; the first question (left
 * out when it cannot be written back as it came, see `echoable`).
 */
export function replyTo(query: DecodedPacket, rcode = 0): Packet {
  const flags = (query.flags ?? 0) & (OPCODE_MASK | FLAG_RD | FLAG_CD);
  return {
    type: 'response',
    id: query.id,
    flags: flags | FLAG_RA | rcode,
    questions: (query.questions ?? []).slice(0, 1).filter((q) => echoable(q.name)),
    answers: [],
  };
}

/** The address `ip` of a reverse name (`4.3.2.1.in-addr.arpa`, 32 nibbles `.ip6.arpa`), else undefined. */
export function ptrToIp(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    const ip = parts.join('.');
    return parts.length === 4 && isIP(ip) === 4 ? ip : undefined;
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.').reverse();
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return groups.join(':');
  }
  return undefined;
}

function shuffled<T>(list: T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function addressAnswers(q: Question, ips: string[], type: 'A' | 'AAAA'): Answer[] {
  return shuffled(ips).map((ip) => ({ type, class: 'IN', name: q.name, ttl: TTL, data: ip }));
}

/** Answers the query from the table, or says it must go to the upstreams. */
export function answerLocally(query: DecodedPacket, ctx: AskContext): Verdict {
  const q = query.questions?.[0];
  if (!q) return { kind: 'forward' };
  const reply = replyTo(query);
  if (q.type === 'PTR') {
    const ip = ptrToIp(q.name);
    const host = ip === undefined ? undefined : ctx.table.reverse(ctx.asker, ip);
    if (host === undefined) return { kind: 'forward' };
    reply.answers = [{ type: 'PTR', class: 'IN', name: q.name, ttl: TTL, data: host }];
    return { kind: 'reply', packet: reply };
  }
  const known = ctx.table.resolve(ctx.asker, q.name);
  if (known) {
    if (q.type === 'A') reply.answers = addressAnswers(q, known.v4, 'A');
    else if (q.type === 'AAAA') reply.answers = addressAnswers(q, known.v6, 'AAAA');
    return { kind: 'reply', packet: reply };
  }
  // Like Docker: with the user's own ndots, a bare unknown name is answered empty so that the
  // client goes on with its search domains instead of asking the world.
  const bare = !q.name.replace(/\.$/, '').includes('.');
  if (ctx.ndotsSet && bare && (q.type === 'A' || q.type === 'AAAA')) return { kind: 'reply', packet: reply };
  return { kind: 'forward' };
}

/** The SERVFAIL sent when no upstream gave an answer. */
export function serverFailure(query: DecodedPacket): Packet {
  return replyTo(query, RCODE_SERVFAIL);
}

/** The most a UDP answer to `query` may weigh: 512, or the client's EDNS size when larger. */
export function udpLimit(query: DecodedPacket): number {
  let size = MIN_UDP_SIZE;
  for (const rr of query.additionals ?? []) {
    if (rr.type === 'OPT' && rr.udpPayloadSize > size) size = rr.udpPayloadSize;
  }
  return size;
}

/** Encodes a reply; answers are dropped from the end until it fits, and over UDP TC is set. */
export function encodeReply(packet: Packet, limit: number, udp: boolean): Buffer {
  let wire = dnsPacket.encode(packet);
  if (wire.length <= limit) return wire;
  const answers = [...(packet.answers ?? [])];
  const flags = (packet.flags ?? 0) | (udp ? FLAG_TC : 0);
  while (answers.length > 0) {
    answers.pop();
    wire = dnsPacket.encode({ ...packet, flags, answers });
    if (wire.length <= limit) break;
  }
  return wire;
}
