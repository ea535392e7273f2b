/**
 * Port forwarding into a pod, as the kubelet serves it:
 *
 * SPDY (X-Stream-Protocol-Version: portforward.k8s.io): per forwarded connection the client opens an
 *   `error` stream and a `data` stream with headers `port` and `requestid`; we reply to both, pair
 *   them by request id, connect to localhost:port inside the pod's network namespace and copy both
 *   ways (half-closes kept); a failure is written as text on the error stream. Both streams are
 *   closed (FIN) when the copy is done.
 *
 * SPDY tunnelled in WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl 1.31+): the same
 *   SPDY bytes carried in binary WebSocket messages.
 *
 * WebSocket (v4.channel.k8s.io / v4.base64.channel.k8s.io / portforward.k8s.io, client-node):
 *   `?ports=80,8080`; channel 2i = data of port i, 2i+1 = its errors; the first message on each
 *   channel is the port as a little-endian uint16. One connection per port for the session.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SpdyConnection, SpdyStream } from './spdy/connection.js';
import { WsChannelWriter, decodeWsMessage } from './remotecommand.js';
import { logger } from '../../util/log.js';

const log = logger('streaming');

/** Opens a TCP connection to `port` on the pod's localhost. */
export type PodDialer = (port: number) => Promise<Duplex>;

// Connects inside the netns it was started in (nsenter) and relays stdio ↔ socket, keeping half-closes.
const RELAY = String.raw`
use strict; use warnings; use IO::Socket::INET; use IO::Handle; use Errno qw(EINTR EAGAIN);
my ($host, $port) = @ARGV;
# Node may hand us non-blocking pipes: a full pipe (a slow reader) must mean waiting, never losing data.
sub put { my ($fh, $buf) = @_; my ($o, $r) = (0, length $buf);
  while ($o < $r) { my $w = syswrite($fh, $buf, $r - $o, $o);
    if (!defined $w) { if ($! == EINTR) { next; } if ($! == EAGAIN) { my $wv = ''; vec($wv, fileno($fh), 1) = 1; select(undef, $wv, undef, undef); next; } print STDERR "relay: write failed: $!\n"; exit 0; }
    $o += $w; } }
my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp');
if (!$s) { print STDERR "dial tcp $host:$port: connect: $!\n"; exit 1; }
print STDERR "connected\n";
binmode STDIN; binmode STDOUT; $| = 1;
my ($in, $sock) = (1, 1);
while ($sock) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1; vec($rin, fileno(STDIN), 1) = 1 if $in;
  my $n = select(my $rout = $rin, undef, undef, undef);
  if ($n < 0) { next if $! == EINTR; last; }
  if (vec($rout, fileno($s), 1)) {
    my $r = sysread($s, my $buf, 65536);
    if (!defined $r) { next if $! == EINTR || $! == EAGAIN; print STDERR "relay: read failed: $!\n"; last; }
    if ($r == 0) { $sock = 0; last; }
    put(\*STDOUT, $buf);
  }
  if ($in && vec($rout, fileno(STDIN), 1)) {
    my $r = sysread(STDIN, my $buf, 65536);
    if (!defined $r) { next if $! == EINTR || $! == EAGAIN; $r = 0; }
    if ($r == 0) { shutdown($s, 1); $in = 0; next; }
    put($s, $buf);
  }
}
`;

/** Dials localhost:port inside the network namespace at `netnsPath` (or the host's, without one). */
export function dialInNetns(netnsPath: string | undefined, port: number, timeoutMs = 10_000): Promise<Duplex> {
  if (!netnsPath) {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      s.once('connect', () => { s.off('error', reject); resolve(s); });
      s.once('error', (e) => reject(new Error(`dial tcp 127.0.0.1:${port}: ${e.message}`)));
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netnsPath}`, 'perl', '-e', RELAY, '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    let settled = false;
    const timer = setTimeout(() => { if (!settled) { settled = true; child.kill('SIGKILL'); reject(new Error(`dial tcp 127.0.0.1:${port}: timed out`)); } }, timeoutMs);
    timer.unref?.();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => {
      err += t;
      if (!settled && err.includes('connected\n')) {
        settled = true;
        clearTimeout(timer);
        child.stdin.on('error', () => undefined);
        // Not Duplex.from(): it destroys itself once both pipes closed, dropping output its reader
        // has not taken yet (seen as truncated port-forward downloads under backpressure).
        const d = new Duplex({
          allowHalfOpen: true,
          read() { child.stdout.resume(); },
          write(chunk: Buffer, _e, cb) { if (child.stdin.writable) child.stdin.write(chunk, () => cb()); else cb(); },
          final(cb) { child.stdin.end(); cb(); },
          destroy(e, cb) { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); cb(e); },
        });
        child.stdout.on('data', (b: Buffer) => { if (!d.push(b)) child.stdout.pause(); });
        child.stdout.on('end', () => d.push(null));
        resolve(d);
      }
    });
    child.on('error', (e) => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } });
    child.on('exit', (code, sig) => {
      if (settled) log.debug('port-forward relay exited', { port, code, signal: sig, stderr: err.replace('connected\n', '').trim() });
      if (!settled) { settled = true; clearTimeout(timer); reject(new Error(err.trim() || `dial tcp 127.0.0.1:${port}: failed`)); }
    });
  });
}

/** Copies both ways; resolves when both directions ended (or either side failed). */
function splice(a: Duplex, b: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let ended = 0;
    let done = false;
    const finish = () => { if (!done) { done = true; resolve(); } };
    const oneDone = () => { if (++ended === 2) finish(); };
    a.pipe(b, { end: true });
    b.pipe(a, { end: true });
    a.on('end', oneDone);
    b.on('end', oneDone);
    a.on('error', finish);
    b.on('error', finish);
    a.on('close', () => { if (!a.readableEnded) finish(); });
    b.on('close', () => { if (!b.readableEnded) finish(); });
  });
}

/** Serves SPDY port-forward streams on `conn` until it closes. */
export function serveSpdyPortForward(conn: SpdyConnection, podLabel: string, dial: PodDialer): Promise<void> {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream; started?: boolean }>();
  const active = new Set<Promise<void>>();
  const run = async (port: number, data: SpdyStream, error: SpdyStream) => {
    try {
      const sock = await dial(port);
      let up = 0, down = 0;
      data.on('data', (b: Buffer) => { up += b.length; });
      sock.on('data', (b: Buffer) => { down += b.length; });
      await splice(data, sock);
      log.debug('port-forward connection done', { pod: podLabel, port, request: data.header('requestid'), bytesToPod: up, bytesFromPod: down });
      sock.destroy();
    } catch (e) {
      const msg = `error forwarding port ${port} to pod ${podLabel}: ${(e as Error).message}`;
      if (!error.destroyed) await new Promise<void>((r) => error.write(msg, () => r()));
      if (!data.destroyed) data.end();
    } finally {
      if (!error.destroyed && !error.writableEnded) error.end();
    }
  };
  conn.on('stream', (s: SpdyStream) => {
    void s.reply().catch(() => undefined);
    const type = s.header('streamtype');
    const id = s.header('requestid') ?? '';
    const port = Number(s.header('port'));
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) { s.reset(); return; }
    const p = pairs.get(id) ?? {};
    pairs.set(id, p);
    if (type === 'error') { p.error = s; s.resume(); } else p.data = s;
    if (p.data && p.error && !p.started) {
      p.started = true;
      pairs.delete(id);
      const job = run(port, p.data, p.error);
      active.add(job);
      void job.finally(() => active.delete(job));
    }
  });
  return new Promise((resolve) => conn.on('close', () => resolve()));
}

/** Adapts a WebSocket carrying a byte stream in binary messages to a Duplex (kubectl's SPDY tunnel). */
export function webSocketDuplex(ws: WebSocket): Duplex {
  const d = new Duplex({
    read() { /* pushed on message */ },
    write(chunk: Buffer, _e, cb) {
      if (ws.readyState !== ws.OPEN) { cb(new Error('websocket closed')); return; }
      ws.send(chunk, { binary: true }, (e) => cb(e ?? null));
    },
    final(cb) { if (ws.readyState === ws.OPEN) ws.close(1000); cb(); },
    destroy(err, cb) { if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate(); cb(err); },
  });
  ws.on('message', (data: Buffer) => d.push(data));
  ws.on('close', () => { d.push(null); });
  ws.on('error', (e) => d.destroy(e));
  return d;
}

/** Serves the WebSocket channel protocol for the given ports. */
export async function serveWebSocketPortForward(ws: WebSocket, protocol: string, ports: number[], podLabel: string, dial: PodDialer): Promise<void> {
  const out = new WsChannelWriter(ws, protocol);
  const inputs = ports.map(() => new PassThrough());
  ws.on('error', () => undefined); // a client gone mid-stream ends the session (close follows)
  ws.on('message', (data: Buffer) => {
    const m = decodeWsMessage(data, out.base64);
    if (!m) return;
    const [ch, payload] = m;
    if (ch % 2 === 0 && inputs[ch / 2]) inputs[ch / 2].write(payload);
  });
  const closed = new Promise<void>((r) => { ws.on('close', () => { for (const i of inputs) i.end(); r(); }); });
  for (let i = 0; i < ports.length; i++) {
    const pb = Buffer.alloc(2);
    pb.writeUInt16LE(ports[i]);
    await out.send(2 * i, pb).catch(() => undefined);
    await out.send(2 * i + 1, pb).catch(() => undefined);
  }
  await Promise.all(ports.map(async (port, i) => {
    try {
      const sock = await dial(port);
      inputs[i].pipe(sock);
      sock.on('data', (b: Buffer) => { void out.send(2 * i, b).catch(() => sock.destroy()); });
      await new Promise<void>((r) => { sock.on('close', () => r()); sock.on('error', () => r()); void closed.then(() => { sock.destroy(); r(); }); });
    } catch (e) {
      await out.send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${podLabel}: ${(e as Error).message}`)).catch(() => undefined);
    }
  }));
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
