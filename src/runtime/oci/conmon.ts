/**
 * Launches conmon, the per-container monitor: it runs `<runtime> create` (or `exec` in exec mode),
 * keeps the container's stdio, writes the CRI log, serves the attach socket and the ctl/winsz
 * FIFOs, and writes the exit code to `--exit-dir/<id>` when the process ends. conmon double-forks
 * and detaches (setsid), so containers outlive the agent.
 *
 * Sync protocol (`--api-version 1`, fd named by _OCI_SYNCPIPE): one JSON line `{"data": pid}` or
 * `{"data": -1, "message": "..."}`; in exec mode a second line `{"data": exitCode}` follows.
 * Exec mode with `--exec-attach` also uses _OCI_ATTACHPIPE (conmon writes once the attach socket
 * listens) and _OCI_STARTPIPE (we write once before conmon starts, once after we attached).
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { OciBinary } from './oci-binary.js';

export interface ConmonCommon {
  conmon: string;
  binary: OciBinary;
  /** Container id (the runtime's id). */
  containerId: string;
  /** Session id: the container id for create, the exec id for exec (names the attach socket link). */
  sessionId: string;
  name: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  stdin: boolean;
  tty: boolean;
}

export interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads `\n`-separated JSON messages from the sync pipe. */
class SyncReader {
  private buf = '';
  private queue: SyncMessage[] = [];
  private waiters: Array<{ resolve: (m: SyncMessage) => void; reject: (e: Error) => void }> = [];
  private ended = false;

  constructor(stream: Readable, private what: string) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        let msg: SyncMessage;
        try { msg = JSON.parse(line) as SyncMessage; } catch { msg = { data: -1, message: `bad sync message ${line}` }; }
        const w = this.waiters.shift();
        if (w) w.resolve(msg); else this.queue.push(msg);
      }
    });
    const end = () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`conmon (${this.what}) closed the sync pipe without a message`));
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  next(): Promise<SyncMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(new Error(`conmon (${this.what}) closed the sync pipe without a message`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

function commonArgs(o: ConmonCommon): string[] {
  const args = [
    '--api-version', '1',
    '-c', o.containerId, '-u', o.sessionId, '-n', o.name,
    '-r', o.binary.path, ...o.binary.globalArgs.flatMap((a) => ['--runtime-arg', a]),
    '-b', o.bundle, '-p', o.pidFile, '-P', o.conmonPidFile,
    '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir, '--socket-dir-path', o.socketDir,
    '--log-level', 'error',
    // conmon writes an `oom` marker file into its persist dir (and, in 2.1.6 without one, into its cwd).
    '-0', o.bundle,
  ];
  if (o.stdin) args.push('-i');
  if (o.tty) args.push('-t');
  return args;
}

/** `runtime create` under conmon; resolves with the container's host pid once it is created. */
export async function conmonCreate(o: ConmonCommon & { leaveStdinOpen?: boolean }): Promise<number> {
  const args = commonArgs(o);
  if (o.leaveStdinOpen) args.push('--leave-stdin-open');
  const child = spawn(o.conmon, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3' },
    cwd: o.bundle,
    detached: true,
  });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const sync = new SyncReader(child.stdio[3] as Readable, 'create');
  try {
    const msg = await Promise.race([
      sync.next(),
      new Promise<never>((_, reject) => child.once('error', reject)),
    ]);
    if (msg.data < 0) throw new Error(`container create failed: ${msg.message ?? Buffer.concat(stderr).toString().trim()}`);
    return msg.data;
  } catch (e) {
    const extra = Buffer.concat(stderr).toString().trim();
    throw extra && e instanceof Error && !e.message.includes(extra) ? new Error(`${e.message}: ${extra}`) : e;
  } finally {
    (child.stdio[3] as Readable).destroy();
    child.stderr!.destroy();
    child.unref();
  }
}

export interface ConmonExecSession {
  /** Host pid of the exec'd process. */
  pid: Promise<number>;
  /** Exit code of the exec'd process. */
  exitCode: Promise<number>;
}

/**
 * `runtime exec` under conmon with `--exec-attach`: conmon prepares the attach socket, `onAttachReady`
 * connects to it, then the process starts. Used for exec with a terminal (conmon owns the pty and
 * takes resizes through the session's ctl FIFO).
 */
export async function conmonExec(
  o: ConmonCommon & { processSpec: string },
  onAttachReady: () => Promise<void>,
): Promise<ConmonExecSession> {
  const args = [...commonArgs(o), '--exec', '--exec-process-spec', o.processSpec, '--exec-attach'];
  const child = spawn(o.conmon, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_ATTACHPIPE: '4', _OCI_STARTPIPE: '5' },
    cwd: o.bundle,
    detached: true,
  });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const sync = new SyncReader(child.stdio[3] as Readable, 'exec');
  const attach = new SyncReader(child.stdio[4] as Readable, 'exec attach');
  const stdio = child.stdio as unknown as Array<Readable | Writable | null>;
  const start = stdio[5] as Writable;
  const cleanup = () => {
    for (const s of [stdio[3], stdio[4], stdio[5], child.stderr]) s?.destroy();
    child.unref();
  };
  try {
    start.write('0');            // let conmon proceed (it waits once before forking)
    const ready = await attach.next();
    if (ready.data < 0) throw new Error(`exec attach failed: ${ready.message ?? ''}`);
    await onAttachReady();
    start.write('0');            // attached: start the process
  } catch (e) {
    cleanup();
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    throw e;
  }
  const failure = (m: SyncMessage) => new Error(`exec failed: ${m.message ?? Buffer.concat(stderr).toString().trim()}`);
  const pid = sync.next().then((m) => {
    if (m.data < 0) throw failure(m);
    return m.data;
  });
  const exitCode = pid.then(() => sync.next()).then((m) => {
    if (m.message) throw failure(m);
    return m.data;
  });
  exitCode.then(cleanup, cleanup);
  pid.catch(() => undefined);
  exitCode.catch(() => undefined);
  return { pid, exitCode };
}
