/**
 * Talks to conmon's attach socket, a SOCK_SEQPACKET unix socket, which Node's `net` cannot open.
 * A tiny Perl relay does (perl-base is Essential on Debian, so it is always there, unlike socat;
 * socat would also lose the packet boundaries that carry the stream byte). The relay:
 *   - chdir()s into the socket's directory and connects to `attach` (sun_path is limited to 108 bytes);
 *   - turns each packet `[stream byte][data]` into a frame `[stream byte][u32 BE length][data]` on stdout
 *     (stream 2 = stdout, 3 = stderr);
 *   - with stdin enabled, sends its stdin to the socket and shuts down the write side at EOF (conmon then
 *     closes the container's stdin unless it was started with --leave-stdin-open).
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

const RELAY = String.raw`
use strict; use warnings; use Socket; use Errno qw(EINTR EAGAIN);
my ($dir, $withStdin) = @ARGV;
chdir $dir or die "chdir $dir: $!\n";
socket(my $s, PF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
connect($s, pack_sockaddr_un('attach')) or die "connect $dir/attach: $!\n";
print STDERR "connected\n";
my $in = $withStdin eq '1';
sub out { my ($d) = @_; my $o = 0; while ($o < length $d) { my $n = syswrite(STDOUT, $d, length($d) - $o, $o); if (!defined $n) { next if $! == EINTR; exit 0; } $o += $n; } }
while (1) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1; vec($rin, fileno(STDIN), 1) = 1 if $in;
  my $n = select(my $rout = $rin, undef, undef, undef);
  if ($n < 0) { next if $! == EINTR; die "select: $!\n"; }
  if (vec($rout, fileno($s), 1)) {
    my $r = sysread($s, my $buf, 65536);
    if (!defined $r) { next if $! == EINTR || $! == EAGAIN; last; }
    last if $r == 0;
    out(pack('CN', ord(substr($buf, 0, 1)), $r - 1) . substr($buf, 1));
  }
  if ($in && vec($rout, fileno(STDIN), 1)) {
    my $r = sysread(STDIN, my $buf, 4096);
    if (!defined $r) { next if $! == EINTR; $r = 0; }
    if ($r == 0) { shutdown($s, 1); $in = 0; } else { send($s, $buf, 0) or last; }
  }
}
`;

export interface RelayStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

export interface Relay {
  /** Resolves once connected to the socket. */
  connected: Promise<void>;
  /** Resolves when the socket closes (the process ended or conmon went away). */
  done: Promise<void>;
  close(): void;
}

/** Relays between conmon's attach socket in `socketDir` and the given streams. */
export function relayAttachSocket(socketDir: string, streams: RelayStreams): Relay {
  const child = spawn('perl', ['-e', RELAY, socketDir, streams.stdin ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let errText = '';
  let resolveConnected!: () => void;
  let rejectConnected!: (e: Error) => void;
  const connected = new Promise<void>((res, rej) => { resolveConnected = res; rejectConnected = rej; });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    errText += s;
    if (errText.includes('connected\n')) resolveConnected();
  });
  let pending: Buffer = Buffer.alloc(0);
  child.stdout.on('data', (b: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, b]) : b;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const stream = pending[0];
      const data = pending.subarray(5, 5 + len);
      pending = pending.subarray(5 + len);
      const target = stream === 3 ? (streams.stderr ?? streams.stdout) : streams.stdout;
      if (data.length && target && !target.destroyed && !target.write(Buffer.from(data))) {
        // Backpressure: stop reading from the relay (and so from conmon) until the consumer drains.
        child.stdout.pause();
        target.once('drain', () => child.stdout.resume());
      }
    }
  });
  if (streams.stdin) {
    streams.stdin.pipe(child.stdin);
    child.stdin.on('error', () => { /* relay gone */ });
  } else {
    child.stdin.end();
  }
  const done = new Promise<void>((resolve) => {
    child.on('close', (code) => {
      if (streams.stdin) streams.stdin.unpipe(child.stdin);
      if (!errText.includes('connected\n')) rejectConnected(new Error(`attach relay: ${errText.trim() || `exit ${code}`}`));
      resolve();
    });
    child.on('error', (e) => { rejectConnected(e); resolve(); });
  });
  return { connected, done, close: () => { try { child.kill('SIGTERM'); } catch { /* gone */ } } };
}
