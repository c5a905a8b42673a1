import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { answerLocally, encodeReply, ptrToIp, serverFailure, udpLimit } from './answer.js';
import { EndpointNameTable } from './names.js';

const table = new EndpointNameTable();
table.setNetwork({ id: 'N1', name: 'n1' });
table.setEndpoint({ containerId: 'me', containerName: 'me', networkId: 'N1', ipv4: '172.18.0.9' });
table.setEndpoint({ containerId: 'aaid', containerName: 'aa', networkId: 'N1', ipv4: '172.18.0.2' });
for (let i = 10; i < 60; i++) {
  table.setEndpoint({
    containerId: `b${i}`,
    containerName: `big_${i}`,
    networkId: 'N1',
    ipv4: `172.18.1.${i}`,
    aliases: ['big'],
  });
}
const ctx = { table, asker: 'me' };
const rcode = (p: DecodedPacket) => (p.flags ?? 0) & 0xf;

function query(name: string, type: RecordType, extra: Partial<Packet> = {}): DecodedPacket {
  const wire = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    ...extra,
  });
  return dnsPacket.decode(wire);
}

function reply(name: string, type: RecordType, opts: { ndotsSet?: boolean } = {}): DecodedPacket {
  const v = answerLocally(query(name, type), { ...ctx, ...opts });
  if (v.kind !== 'reply') throw new Error(`expected a reply for ${name} ${type}`);
  return dnsPacket.decode(encodeReply(v.packet, 512, true));
}

describe('answerLocally', () => {
  it('answers A like Docker: TTL 600, RA, not authoritative, RD and id echoed, name as asked', () => {
    const r = reply('AA', 'A');
    expect(r.id).toBe(4242);
    expect(r.type).toBe('response');
    expect(rcode(r)).toBe(0);
    expect([r.flag_ra, r.flag_aa, r.flag_rd, r.flag_tc]).toEqual([true, false, true, false]);
    expect(r.questions).toEqual([{ name: 'AA', type: 'A', class: 'IN' }]);
    expect(r.answers).toEqual([
      { name: 'AA', type: 'A', class: 'IN', ttl: 600, flush: false, data: '172.18.0.2' },
    ]);
  });

  it('answers AAAA of an IPv4-only name with NOERROR and no answer, and MX/TXT with an empty NOERROR', () => {
    for (const type of ['AAAA', 'MX', 'TXT'] as const) {
      const r = reply('aa', type);
      expect(rcode(r)).toBe(0);
      expect(r.answers).toEqual([]);
    }
  });

  it('answers PTR with name.network and forwards unknown addresses and names', () => {
    const r = reply('2.0.18.172.in-addr.arpa', 'PTR');
    expect(r.answers?.[0]).toMatchObject({ type: 'PTR', ttl: 600, data: 'aa.n1' });
    expect(answerLocally(query('99.0.18.172.in-addr.arpa', 'PTR'), ctx).kind).toBe('forward');
    expect(answerLocally(query('example.com', 'A'), ctx).kind).toBe('forward');
    expect(answerLocally(query('example.com', 'MX'), ctx).kind).toBe('forward');
  });

  it('keeps bare unknown names when the user set ndots', () => {
    expect(reply('nosuch', 'A', { ndotsSet: true }).answers).toEqual([]);
    expect(answerLocally(query('nosuch', 'A'), ctx).kind).toBe('forward');
    expect(answerLocally(query('no.such', 'A'), { ...ctx, ndotsSet: true }).kind).toBe('forward');
  });

  it('parses reverse names', () => {
    expect(ptrToIp('4.3.2.1.in-addr.arpa.')).toBe('1.2.3.4');
    expect(ptrToIp('3.2.1.in-addr.arpa')).toBeUndefined();
    const nibbles = '6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9.9.1.0.0.0.d.f.ip6.arpa';
    expect(ptrToIp(nibbles)).toBe('fd00:0199:0000:0000:0000:0000:0000:0006');
    expect(ptrToIp('example.com')).toBeUndefined();
  });
});

describe('encodeReply', () => {
  it('cuts a UDP answer to 512 bytes and sets TC; the EDNS size or TCP lifts the limit', () => {
    const v = answerLocally(query('big', 'A'), ctx);
    if (v.kind !== 'reply') throw new Error('reply expected');
    const cut = encodeReply(v.packet, 512, true);
    expect(cut.length).toBeLessThanOrEqual(512);
    const d = dnsPacket.decode(cut);
    expect(d.flag_tc).toBe(true);
    expect(d.answers?.length).toBeGreaterThan(10);
    expect(d.answers?.length).toBeLessThan(50);
    const whole = dnsPacket.decode(encodeReply(v.packet, 65534, false));
    expect(whole.flag_tc).toBe(false);
    expect(whole.answers).toHaveLength(50);
    const edns = query('big', 'A', {
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never],
    });
    expect(udpLimit(edns)).toBe(4096);
    expect(udpLimit(query('big', 'A'))).toBe(512);
  });

  it('builds SERVFAIL from the query', () => {
    const d = dnsPacket.decode(encodeReply(serverFailure(query('x.example', 'A')), 512, true));
    expect(rcode(d)).toBe(2);
    expect(d.id).toBe(4242);
    expect(d.flag_ra).toBe(true);
    expect(d.questions?.[0].name).toBe('x.example');
  });

  // Found by the fuzzer (integration/fuzz, target dns): a question whose name dns-packet cannot write
  // back as it read it (raw bytes, a label over 63 bytes once re-encoded) made a SERVFAIL no client
  // could decode. The reply now leaves such a question out.
  it('answers a query with an undecodable name with a reply that decodes', () => {
    for (const label of [Buffer.from([0x37, 0xb9, 0x26, 0x70, 0xc2]), Buffer.alloc(40, 0xff)]) {
      const head = Buffer.from([0x10, 0x92, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
      const name = Buffer.concat([Buffer.from([label.length]), label, Buffer.from([1, 0x61, 0])]);
      const q = dnsPacket.decode(Buffer.concat([head, name, Buffer.from([0, 1, 0, 1])]));
      const d = dnsPacket.decode(encodeReply(serverFailure(q), 512, true));
      expect(d.id).toBe(0x1092);
      expect(rcode(d)).toBe(2);
      expect(d.questions).toEqual([]);
    }
    const ok = dnsPacket.decode(encodeReply(serverFailure(query('a.b.example', 'AAAA')), 512, true));
    expect(ok.questions?.[0].name).toBe('a.b.example');
  });
});
