/**
 * Test helpers: read an nftables table back with `nft -j list table` into a small, handle-free
 * summary (map elements, set names, chain rules as nft prints them) so tests can compare programs.
 */
import { runCommand } from '../../runtime/oci/run-command.js';

export interface TableSummary {
  /** map name → "key : verdict" strings, sorted */
  maps: Record<string, string[]>;
  /** set name → element strings, sorted */
  sets: Record<string, string[]>;
  /** chain name → rule texts (as `nft list chain` prints them) */
  chains: Record<string, string[]>;
}

type Json = Record<string, unknown>;

function keyText(k: unknown): string {
  if (k && typeof k === 'object' && 'concat' in (k as Json)) return ((k as Json).concat as unknown[]).map(keyText).join(' . ');
  if (k && typeof k === 'object' && 'elem' in (k as Json)) return keyText(((k as Json).elem as Json).val);
  return String(k);
}

function verdictText(v: unknown): string {
  const o = v as Json;
  if (o.goto) return `goto ${(o.goto as Json).target}`;
  if (o.jump) return `jump ${(o.jump as Json).target}`;
  for (const v of ['drop', 'accept', 'return', 'continue']) if (v in o) return v;
  return JSON.stringify(v);
}

export async function tableExists(table: string): Promise<boolean> {
  return (await runCommand('nft', ['list', 'table', 'ip', table], { check: false })).code === 0;
}

export async function readTable(table: string): Promise<TableSummary> {
  const j = JSON.parse((await runCommand('nft', ['-j', 'list', 'table', 'ip', table])).stdout) as { nftables: Json[] };
  const out: TableSummary = { maps: {}, sets: {}, chains: {} };
  for (const item of j.nftables) {
    if (item.map) {
      const m = item.map as Json;
      out.maps[m.name as string] = ((m.elem as unknown[][] | undefined) ?? []).map(([k, v]) => `${keyText(k)} : ${verdictText(v)}`).sort();
    } else if (item.set) {
      const s = item.set as Json;
      out.sets[s.name as string] = ((s.elem as unknown[] | undefined) ?? []).map(keyText).sort();
    } else if (item.chain) {
      out.chains[(item.chain as Json).name as string] = [];
    }
  }
  // rule texts: the plain listing is the readable form; parse it chain by chain
  const text = (await runCommand('nft', ['list', 'table', 'ip', table])).stdout;
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^chain (\S+) \{$/.exec(line);
    if (m) { current = m[1]; continue; }
    if (line === '}') { current = undefined; continue; }
    if (current && line && !line.startsWith('type ')) out.chains[current].push(line);
  }
  return out;
}

export async function deleteTable(table: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { input: `table ip ${table}\ndelete table ip ${table}\n` });
}
