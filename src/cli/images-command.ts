/**
 * `peapod images` — the node's image store from the command line:
 *
 *   peapod images ls                       REPOSITORY TAG IMAGE ID SIZE
 *   peapod images import FILE...           OCI-layout or docker-archive tarballs
 *   peapod images pull REF [--creds U:P]   from a registry (mirrors from registries.yaml)
 *   peapod images rm REF...                remove names/images, then free unused content
 *   peapod images examples                 build (if needed) and import the example images
 *
 * Options: --data-dir DIR (default: defaultDataDir()), --registries FILE (default DIR/registries.yaml).
 */
import { defaultDataDir } from './paths.js';
import { ImageStore, ImagePullError, InvalidImageNameError, ensureExampleImages, imageStoreDir, registriesFile, parseReference, type ImageRecord } from '../images/index.js';

const USAGE = `usage: peapod images <ls|import FILE...|pull REF|rm REF...|examples> [--data-dir DIR] [--registries FILE] [--creds USER:PASS]
`;

/** Decimal sizes as crictl/docker show them (units.HumanSize). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** Rows of `images ls`: one per tag (or one <none> row for an untagged image). */
export function imageRows(images: ImageRecord[]): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = img.id.slice(7, 20);
    const size = humanSize(img.size);
    if (img.repoTags.length === 0) {
      const repo = img.repoDigests[0]?.split('@')[0] ?? '<none>';
      rows.push([repo, '<none>', id, size]);
      continue;
    }
    for (const t of [...img.repoTags].sort()) {
      const ref = parseReference(t);
      rows.push([`${ref.domain}/${ref.path}`, ref.tag ?? '<none>', id, size]);
    }
  }
  return rows.sort((a, b) => (a[0]! + a[1]! < b[0]! + b[1]! ? -1 : 1));
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

interface Parsed { sub: string | undefined; args: string[]; dataDir: string; registries: string | undefined; creds: string | undefined }

function parseArgs(argv: string[]): Parsed {
  const out: Parsed = { sub: undefined, args: [], dataDir: defaultDataDir(), registries: undefined, creds: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (name: string) => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (a === '--data-dir' || a.startsWith('--data-dir=')) out.dataDir = value('--data-dir');
    else if (a === '--registries' || a.startsWith('--registries=')) out.registries = value('--registries');
    else if (a === '--creds' || a.startsWith('--creds=')) out.creds = value('--creds');
    else if (a.startsWith('-') && a !== '-') throw new Error(`unknown option ${a}`);
    else if (out.sub === undefined) out.sub = a;
    else out.args.push(a);
  }
  return out;
}

export async function run(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s),
}): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (e) {
    io.err(`peapod images: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!p.sub || p.sub === 'help' || p.sub === '-h') {
    io.out(USAGE);
    return p.sub ? 0 : 2;
  }
  const store = new ImageStore({ dir: imageStoreDir(p.dataDir), registriesFile: p.registries ?? registriesFile(p.dataDir) });
  try {
    switch (p.sub) {
      case 'ls': case 'list':
        io.out(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], imageRows(await store.list())));
        return 0;
      case 'import': {
        if (p.args.length === 0) throw new UsageError('import needs at least one FILE');
        for (const file of p.args) {
          for (const rec of await store.importArchive(file)) {
            io.out(`imported ${rec.repoTags.length ? rec.repoTags.join(', ') : '<none>'} (${rec.id.slice(0, 19)})\n`);
          }
        }
        return 0;
      }
      case 'examples': {
        const paths = await ensureExampleImages({ onProgress: (m) => io.err(`${m}\n`) });
        for (const file of paths) for (const rec of await store.importArchive(file)) io.out(`imported ${rec.repoTags.join(', ')} (${rec.id.slice(0, 19)})\n`);
        return 0;
      }
      case 'pull': {
        if (p.args.length !== 1) throw new UsageError('pull needs exactly one REF');
        const creds = p.creds ? [{ username: p.creds.slice(0, p.creds.indexOf(':')), password: p.creds.slice(p.creds.indexOf(':') + 1) }] : [];
        let lastPct = -1;
        const rec = await store.pull(p.args[0]!, {
          credentials: creds,
          onProgress: (ev) => {
            if (ev.phase === 'resolved') io.err(`${ev.image}: ${ev.layers} layers, ${humanSize(ev.totalBytes)}\n`);
            if (ev.phase === 'downloading' && ev.total > 0) {
              const pct = Math.floor((ev.bytes / ev.total) * 10) * 10;
              if (pct !== lastPct) { lastPct = pct; io.err(`  ${ev.digest.slice(7, 19)}: ${pct}%\n`); }
            }
          },
        });
        io.out(`Image is up to date for ${rec.id}\n`);
        return 0;
      }
      case 'rm': case 'rmi': {
        if (p.args.length === 0) throw new UsageError('rm needs at least one REF');
        let code = 0;
        for (const ref of p.args) {
          if (await store.remove(ref)) io.out(`Deleted: ${ref}\n`);
          else { io.err(`peapod images: no such image: ${ref}\n`); code = 1; }
        }
        const gc = await store.garbageCollect();
        if (gc.freedBytes > 0) io.err(`freed ${humanSize(gc.freedBytes)}\n`);
        return code;
      }
      default:
        throw new UsageError(`unknown subcommand "${p.sub}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) { io.err(`peapod images: ${e.message}\n${USAGE}`); return 2; }
    if (e instanceof ImagePullError || e instanceof InvalidImageNameError) { io.err(`peapod images: ${e.message}\n`); return 1; }
    throw e;
  }
}

class UsageError extends Error {}
