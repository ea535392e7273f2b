/**
 * Resolves an image `User` (`name`, `uid`, `name:group`, `uid:gid`) to numeric ids by reading
 * /etc/passwd and /etc/group from the image layers (the top-most layer that has the file wins).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NumericUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

function layerFile(lowerDirs: string[], rel: string): string | undefined {
  for (const dir of lowerDirs) {
    const p = join(dir, rel);
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  return undefined;
}

function parseDb(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

const numeric = (s: string) => /^\d+$/.test(s);

export function resolveImageUser(user: string | undefined, lowerDirs: string[]): NumericUser {
  const spec = (user ?? '').trim();
  const passwd = parseDb(layerFile(lowerDirs, 'etc/passwd'));
  const group = parseDb(layerFile(lowerDirs, 'etc/group'));
  const [u, g] = spec === '' ? ['0', undefined] : spec.split(':', 2);
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  let home: string | undefined;
  const byUid = (id: number) => passwd.find((e) => Number(e[2]) === id);
  if (numeric(u)) {
    uid = Number(u);
    const e = byUid(uid);
    if (e) { gid = Number(e[3]); name = e[0]; home = e[5]; }
  } else {
    const e = passwd.find((x) => x[0] === u);
    if (!e) throw new Error(`image user ${JSON.stringify(u)} not found in /etc/passwd of the image`);
    uid = Number(e[2]); gid = Number(e[3]); name = e[0]; home = e[5];
  }
  if (g !== undefined && g !== '') {
    if (numeric(g)) gid = Number(g);
    else {
      const e = group.find((x) => x[0] === g);
      if (!e) throw new Error(`image group ${JSON.stringify(g)} not found in /etc/group of the image`);
      gid = Number(e[2]);
    }
  }
  const additionalGids = name
    ? group.filter((e) => (e[3] ?? '').split(',').includes(name!)).map((e) => Number(e[2])).filter((x) => x !== gid)
    : [];
  return { uid, gid: gid ?? 0, additionalGids, home };
}
