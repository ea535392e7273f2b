/**
 * A small, deterministic tar (ustar + pax) encoder: used to build image layers and to apply
 * whiteout/opaque fix-ups through GNU tar (which can create device nodes and set trusted.* xattrs,
 * two things Node cannot do by itself).
 */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (may have a fraction). */
  mtime?: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as SCHILY.xattr.<name> pax records. */
  xattrs?: Record<string, string>;
}

const typeFlag: Record<TarEntryType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function octal(value: number, width: number): string {
  return Math.floor(value).toString(8).padStart(width - 1, '0') + '\0';
}

function writeString(buf: Buffer, s: string, offset: number, width: number): void {
  buf.write(s, offset, Math.min(width, Buffer.byteLength(s)), 'utf8');
}

function rawHeader(name: string, type: string, e: { mode: number; uid: number; gid: number; size: number; mtime: number; linkname: string; devmajor: number; devminor: number }): Buffer {
  const h = Buffer.alloc(512);
  writeString(h, name, 0, 100);
  writeString(h, octal(e.mode & 0o7777, 8), 100, 8);
  writeString(h, octal(e.uid, 8), 108, 8);
  writeString(h, octal(e.gid, 8), 116, 8);
  writeString(h, octal(e.size, 12), 124, 12);
  writeString(h, octal(e.mtime, 12), 136, 12);
  h.fill(' ', 148, 156);
  writeString(h, type, 156, 1);
  writeString(h, e.linkname, 157, 100);
  writeString(h, 'ustar\0', 257, 6);
  writeString(h, '00', 263, 2);
  writeString(h, octal(e.devmajor, 8), 329, 8);
  writeString(h, octal(e.devminor, 8), 337, 8);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  let digits = String(len).length;
  while (String(len + digits).length !== digits) digits++;
  return `${len + digits}${body}`;
}

/** Padding after `size` bytes of content. */
export function tarPadding(size: number): Buffer {
  const rem = size % 512;
  return Buffer.alloc(rem === 0 ? 0 : 512 - rem);
}

/** The header block(s) of one entry (a pax header first when needed). Content and padding follow. */
export function encodeTarHeader(entry: TarEntry): Buffer {
  const size = entry.type === 'file' ? entry.size ?? 0 : 0;
  const mtime = entry.mtime ?? 0;
  const linkname = entry.linkname ?? '';
  let name = entry.path.replace(/^\/+/, '');
  if (entry.type === 'dir' && !name.endsWith('/')) name += '/';
  const records: string[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (Buffer.byteLength(linkname) > 100) records.push(paxRecord('linkpath', linkname));
  if (!Number.isInteger(mtime)) records.push(paxRecord('mtime', mtime.toFixed(9).replace(/0+$/, '')));
  for (const [k, v] of Object.entries(entry.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const fields = {
    mode: entry.mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, size, mtime,
    linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 100) : linkname,
    devmajor: entry.devmajor ?? 0, devminor: entry.devminor ?? 0,
  };
  const header = rawHeader(Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name, typeFlag[entry.type], fields);
  if (records.length === 0) return header;
  const pax = Buffer.from(records.join(''), 'utf8');
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'x';
  const paxHeader = rawHeader(`PaxHeader/${base}`.slice(0, 99), 'x', { mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: Math.floor(mtime), linkname: '', devmajor: 0, devminor: 0 });
  return Buffer.concat([paxHeader, pax, tarPadding(pax.length), header]);
}

/** The end-of-archive marker. */
export const TAR_END = Buffer.alloc(1024);

/** Encodes a whole archive of entries whose content is in memory. */
export function encodeTar(entries: Array<TarEntry & { content?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = e.type === 'file' ? e.content ?? Buffer.alloc(0) : undefined;
    parts.push(encodeTarHeader({ ...e, size: content?.length ?? 0 }));
    if (content) parts.push(content, tarPadding(content.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
