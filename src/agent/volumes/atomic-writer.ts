/**
 * Writes a set of files into a volume dir so that a container sees either the old or the new set,
 * never a mix — the kubelet's AtomicWriter layout:
 *
 *   DIR/..2026_11_23_10_00_00.123456789/   the files of one version
 *   DIR/..data -> ..2026_...               switched with one rename
 *   DIR/key    -> ..data/key               one symlink per top-level name
 *
 * Returns false when the content was already current (nothing written).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface FileEntry { data: Buffer; mode: number }

export function validateRelativePath(p: string): string | undefined {
  if (!p) return 'must not be empty';
  if (p.startsWith('/')) return 'must be a relative path';
  if (p.split('/').includes('..')) return "must not contain '..'";
  if (p.startsWith('..')) return "must not start with '..'";
  return undefined;
}

function stamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds(), 3)}${p(Math.floor(Math.random() * 1e6), 6)}`;
}

function current(dir: string, files: Map<string, FileEntry>): boolean {
  const data = join(dir, '..data');
  if (!existsSync(data)) return false;
  const listed = new Set<string>();
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), rel); else listed.add(rel);
    }
  };
  walk(data, '');
  if (listed.size !== files.size) return false;
  for (const [path, f] of files) {
    if (!listed.has(path)) return false;
    const full = join(data, path);
    if (!readFileSync(full).equals(f.data)) return false;
    if ((lstatSync(full).mode & 0o7777) !== f.mode) return false;
  }
  return true;
}

export function writeAtomic(dir: string, files: Map<string, FileEntry>, owner?: { uid: number; gid: number }): boolean {
  mkdirSync(dir, { recursive: true });
  if (current(dir, files)) return false;
  const version = stamp(new Date());
  const vdir = join(dir, version);
  mkdirSync(vdir, { mode: 0o755 });
  for (const [path, f] of files) {
    const full = join(vdir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.data);
    chmodSync(full, f.mode);
    if (owner) chownSync(full, owner.uid, owner.gid);
  }
  const dataLink = join(dir, '..data');
  let old: string | undefined;
  try { old = readlinkSync(dataLink); } catch { old = undefined; }
  const tmp = join(dir, '..data_tmp');
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, dataLink);
  // top-level names
  const top = new Set([...files.keys()].map((p) => p.split('/')[0]));
  for (const name of top) {
    const link = join(dir, name);
    let ok = false;
    try { ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join('..data', name); } catch { ok = false; }
    if (!ok) {
      rmSync(link, { recursive: true, force: true });
      symlinkSync(join('..data', name), link);
    }
  }
  if (old && old !== version) rmSync(join(dir, old), { recursive: true, force: true });
  for (const e of readdirSync(dir)) {
    if (!e.startsWith('..') && !top.has(e)) rmSync(join(dir, e), { recursive: true, force: true });
  }
  return true;
}
