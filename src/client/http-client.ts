/**
 * KubeClient over HTTPS (or HTTP), for agents on other machines, tests and tools.
 * Keep-alive connections; JSON bodies; watches as newline-delimited JSON streams.
 */
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../api/object.js';
import { answerOf, resourcePath, statusError, watchQuery } from './rest-requests.js';
import { RestClient } from './rest-client.js';
import type { ResourceRef, WatchOptions, WatchEvent, WatchHandle } from './types.js';

export { resourcePath };

export interface HttpClientOptions {
  server: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  bearerToken?: string;
  /** TLS server name to verify (default: the server URL's host). */
  servername?: string;
  userAgent?: string;
}

export class HttpClient extends RestClient {
  private readonly url: URL;
  private readonly agent: HttpsAgent | HttpAgent;

  constructor(private readonly opts: HttpClientOptions) {
    super();
    this.url = new URL(opts.server);
    this.agent = this.url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ca: opts.caPem, cert: opts.clientCertPem, key: opts.clientKeyPem, servername: opts.servername })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
  }

  /** A client from a kubeconfig file (its current context; embedded *-data fields or file paths). */
  static fromKubeconfig(path: string): HttpClient {
    const cfg = parseYaml(readFileSync(path, 'utf8')) as {
      'current-context': string;
      contexts: { name: string; context: { cluster: string; user: string } }[];
      clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
      users: { name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; token?: string } }[];
    };
    const ctx = cfg.contexts.find((c) => c.name === cfg['current-context'])?.context;
    if (!ctx) throw new Error(`kubeconfig ${path}: no current context`);
    const cluster = cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster;
    const user = cfg.users.find((u) => u.name === ctx.user)?.user ?? {};
    if (!cluster) throw new Error(`kubeconfig ${path}: cluster ${ctx.cluster} not found`);
    const data = (b64?: string, file?: string) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : file ? readFileSync(file, 'utf8') : undefined);
    return new HttpClient({
      server: cluster.server,
      caPem: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      clientCertPem: data(user['client-certificate-data'], user['client-certificate']),
      clientKeyPem: data(user['client-key-data'], user['client-key']),
      bearerToken: user.token,
    });
  }

  close(): void { this.agent.destroy(); }

  private open(method: string, path: string, headers: Record<string, string>, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const h: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.opts.userAgent ?? 'peapod', ...headers };
    if (this.opts.bearerToken) h.Authorization = `Bearer ${this.opts.bearerToken}`;
    const fn = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return fn({ host: this.url.hostname, port: this.url.port, method, path, headers: h, agent: this.agent, servername: this.opts.servername }, onResponse);
  }

  /** Raw request: resolves with the parsed JSON answer; non-2xx → StatusError. */
  request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = {};
      if (payload !== undefined) { headers['Content-Type'] = contentType; headers['Content-Length'] = String(Buffer.byteLength(payload)); }
      const req = this.open(method, path, headers, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try { resolve(answerOf<T>(method, path, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  watch<T extends KubeObject>(r: ResourceRef, ns: string | undefined, o: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
    const path = resourcePath(r, ns) + watchQuery(o);
    let finish!: () => void;
    const handle: WatchHandle = { stop: () => undefined, done: new Promise<void>((r) => { finish = r; }) };
    const req = this.open('GET', path, {}, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          handle.error = statusError('watch', path, res.statusCode ?? 0, parsed, text);
          finish();
        });
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        // walk the lines with an index and keep the rest once: slicing the buffer after every line
        // copied the remainder each time (quadratic in the events per chunk)
        let start = 0;
        try {
          let nl: number;
          while ((nl = buf.indexOf('\n', start)) >= 0) {
            const line = buf.slice(start, nl).trim();
            start = nl + 1;
            if (!line) continue;
            let ev: WatchEvent<T>;
            try { ev = JSON.parse(line) as WatchEvent<T>; } catch { continue; }
            onEvent(ev);
          }
        } finally {
          if (start > 0) buf = buf.slice(start);
        }
      });
      res.on('end', finish);
      res.on('error', (e) => { handle.error = e; finish(); });
      res.on('close', finish);
    });
    req.on('error', (e) => { if (!stopped) handle.error = e; finish(); });
    req.end();
    let stopped = false;
    handle.stop = () => { stopped = true; req.destroy(); finish(); };
    return handle;
  }
}
