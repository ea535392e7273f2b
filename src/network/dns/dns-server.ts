/**
 * Cluster DNS: answers the cluster zone from the API (cluster-zone.ts) over UDP and TCP, and
 * forwards every other name to the host's resolvers (/etc/resolv.conf nameservers) so pods resolve
 * outside names as the host does. Messages are encoded and decoded with dns-packet.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer as createTcpServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { readFileSync } from 'node:fs';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import { answer, DEFAULT_ZONE, TTL, type ZoneRecord, type ZoneView } from './cluster-zone.js';
import { logger } from '../../util/log.js';

const log = logger('dns');
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsServerOptions {
  view: ZoneView;
  /** Address to listen on (UDP and TCP). */
  bind: string;
  /** Default 53. 0 = a free port (tests). */
  port?: number;
  zone?: string;
  /** Upstream resolvers for other names; default: the host's /etc/resolv.conf nameservers. [] = refuse. */
  upstream?: string[];
}

export interface RunningDnsServer {
  port: number;
  close(): Promise<void>;
  /** Answer one query message (also used by tests). */
  handle(msg: Buffer): Promise<Buffer>;
}

export function hostNameservers(path = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
  } catch {
    return [];
  }
}

function toAnswer(r: ZoneRecord): Answer {
  if (r.type === 'SRV') return { type: 'SRV', name: r.name, ttl: r.ttl, class: 'IN', data: r.data } as Answer;
  return { type: r.type, name: r.name, ttl: r.ttl, class: 'IN', data: r.data } as Answer;
}

function soa(zone: string): Answer {
  return { type: 'SOA', name: zone, ttl: TTL, class: 'IN', data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: TTL } } as Answer;
}

function reply(q: DecodedPacket, rcode: number, answers: Answer[] = [], authorities: Answer[] = [], additionals: Answer[] = [], authoritative = true): Buffer {
  let flags = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  flags |= dnsPacket.RECURSION_AVAILABLE;
  if (authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  flags |= rcode;
  return dnsPacket.encode({ type: 'response', id: q.id, flags, questions: q.questions, answers, authorities, additionals });
}

function forwardUdp(server: string, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => { sock.close(); reject(new Error(`upstream ${server} timed out`)); }, timeoutMs);
    sock.once('message', (m) => { clearTimeout(t); sock.close(); resolve(m); });
    sock.once('error', (e) => { clearTimeout(t); sock.close(); reject(e); });
    sock.send(msg, 53, server);
  });
}

export async function startDnsServer(opts: DnsServerOptions): Promise<RunningDnsServer> {
  const zone = (opts.zone ?? DEFAULT_ZONE).replace(/\.$/, '');
  const upstream = opts.upstream ?? hostNameservers();

  const handle = async (msg: Buffer): Promise<Buffer> => {
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      // not a DNS message we can read: FORMERR with the id if we have one
      const id = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
      return dnsPacket.encode({ type: 'response', id, flags: 1 });
    }
    const question: Question | undefined = q.questions?.[0];
    if (!question || q.questions!.length !== 1) return reply(q, RCODE.NOTIMP);
    const a = answer(opts.view, question.name, question.type, zone);
    if (a.rcode === 'NXDOMAIN') return reply(q, RCODE.NXDOMAIN, [], [soa(zone)]);
    if (a.rcode === 'NOERROR') {
      return reply(q, RCODE.NOERROR, a.records.map(toAnswer), a.records.length ? [] : [soa(zone)], (a.additionals ?? []).map(toAnswer));
    }
    // not our zone: forward to the host's resolvers
    for (const server of upstream) {
      try { return await forwardUdp(server, msg); } catch (err) { log.debug('upstream failed', { server, err: String(err) }); }
    }
    return reply(q, upstream.length ? RCODE.SERVFAIL : RCODE.REFUSED, [], [], [], false);
  };

  const onUdpMessage = (udp: Socket) => (msg: Buffer, rinfo: { port: number; address: string }) => {
    void handle(msg).then((out) => {
      // keep UDP answers under 512 bytes unless EDNS says more: truncate and let the client retry over TCP
      if (out.length > 512) {
        const q = dnsPacket.decode(msg);
        out = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: q.questions });
      }
      udp.send(out, rinfo.port, rinfo.address);
    }, (err) => log.error('dns query failed', { err: String(err) }));
  };

  const onTcpConnection = (sock: TcpSocket) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void handle(msg).then((out) => {
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          sock.write(Buffer.concat([head, out]));
        });
      }
    });
    sock.on('error', () => sock.destroy());
    sock.setTimeout(10_000, () => sock.destroy());
  };
  const { udp, tcp, port } = await bindUdpAndTcp(opts.bind, opts.port ?? 53, onUdpMessage, onTcpConnection);

  return {
    port,
    handle,
    async close() {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/**
 * UDP and TCP on one port. With port 0 the UDP socket picks a free port and TCP must get the same
 * number, which another process may hold: then both are closed and another port is tried. On any
 * failure nothing stays open (an open UDP socket would keep the process alive).
 */
async function bindUdpAndTcp(
  bind: string, wanted: number,
  onMessage: (udp: Socket) => (msg: Buffer, rinfo: { port: number; address: string }) => void,
  onConnection: (sock: TcpSocket) => void,
): Promise<{ udp: Socket; tcp: TcpServer; port: number }> {
  const attempts = wanted === 0 ? 20 : 1;
  for (let attempt = 1; ; attempt++) {
    const udp: Socket = createSocket(bind.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', onMessage(udp));
    try {
      await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(wanted, bind, () => { udp.off('error', reject); resolve(); }); });
    } catch (err) {
      udp.close();
      throw err;
    }
    const port = udp.address().port;
    const tcp: TcpServer = createTcpServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, bind, () => { tcp.off('error', reject); resolve(); }); });
      return { udp, tcp, port };
    } catch (err) {
      udp.close();
      tcp.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= attempts) throw err;
    }
  }
}
