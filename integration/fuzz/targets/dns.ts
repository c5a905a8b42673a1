// The embedded DNS server's packet handling (dockerd/network/dns), the way resolver.ts answers one
// message: decode (garbage gets no reply), answer from the name table or decide to forward, encode
// within the UDP/EDNS or TCP size limit. Every reply decodes, keeps the query's id and fits.
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import {
  MAX_TCP_SIZE,
  answerLocally,
  encodeReply,
  serverFailure,
  udpLimit,
} from '../../../dockerd/network/dns/answer.js';
import { EndpointNameTable } from '../../../dockerd/network/dns/names.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

function table(): EndpointNameTable {
  const t = new EndpointNameTable();
  t.setNetwork({ id: 'N1', name: 'n1' });
  t.setNetwork({ id: 'N2', name: 'n2', ipv6: true });
  t.setEndpoint({
    containerId: 'a',
    containerName: 'aa',
    networkId: 'N1',
    ipv4: '172.18.0.2',
    aliases: ['web'],
  });
  t.setEndpoint({
    containerId: 'b',
    containerName: 'bb',
    networkId: 'N1',
    ipv4: '172.18.0.3',
    links: [{ target: 'aa', alias: 'db' }],
  });
  for (let i = 0; i < 60; i++)
    t.setEndpoint({
      containerId: `m${i}`,
      containerName: `m${i}`,
      networkId: 'N2',
      ipv4: `172.19.0.${i + 2}`,
      ipv6: `fd00::${i + 2}`,
      aliases: ['many'],
    });
  t.setEndpoint({
    containerId: 'b',
    containerName: 'bb',
    networkId: 'N2',
    ipv4: '172.19.1.3',
    ipv6: 'fd00::1:3',
  });
  return t;
}

function check(query: DecodedPacket, out: Buffer, limit: number): void {
  if (out.length > limit) throw new Violation(`reply of ${out.length} bytes over the limit ${limit}`);
  const r = dnsPacket.decode(out);
  if (r.id !== query.id || r.type !== 'response') throw new Violation(`reply id ${r.id} / type ${r.type}`);
}

export function dnsTarget(): FuzzTarget {
  const t = table();
  return {
    name: 'dns',
    maxLen: 1500,
    dict: [
      '\x03web\x00',
      '\x02aa\x02n1\x00',
      '\x04many\x00',
      '\x00\x01\x00\x01',
      '\x00\x1c\x00\x01',
      '\x00\x0c\x00\x01',
      '\x00\x29\x10\x00',
      '\xc0\x0c',
      '\x07in-addr\x04arpa\x00',
      '\x03ip6\x04arpa\x00',
      '\x01\x00',
      '\xff\xff',
    ],
    expected: typedRefusal,
    run(data) {
      let query: DecodedPacket;
      try {
        query = dnsPacket.decode(data);
      } catch {
        return; // not DNS: no reply
      }
      if (query.type !== 'query' || !query.questions?.length) return;
      for (const udp of [true, false]) {
        const limit = udp ? udpLimit(query) : MAX_TCP_SIZE;
        for (const asker of ['a', 'b', 'm1', 'nobody']) {
          const verdict = answerLocally(query, { table: t, asker, ndotsSet: asker === 'b' });
          if (verdict.kind === 'reply') check(query, encodeReply(verdict.packet, limit, udp), limit);
        }
        check(query, encodeReply(serverFailure(query), limit, udp), limit);
      }
    },
  };
}
