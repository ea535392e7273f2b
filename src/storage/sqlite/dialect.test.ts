/**
 * The statements' query plans: no statement scans the whole log or sorts it; point reads seek
 * the (name, id, deleted) index; replay and compaction walk the primary key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { pragmas, schema, sql, type StatementName } from './dialect.js';

function plan(db: Database.Database, q: string): string {
  const params: Record<string, string | number> = {};
  for (const m of q.matchAll(/:(\w+)/g)) params[m[1]!] = ['lo', 'hi', 'name'].includes(m[1]!) ? '/registry/pods/' : 1;
  return (db.prepare(`EXPLAIN QUERY PLAN ${q}`).all(params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
}

describe('sqlite dialect', () => {
  const db = new Database(':memory:');
  for (const p of pragmas) db.pragma(p);
  for (const s of schema) db.exec(s);
  const plans = Object.fromEntries((Object.keys(sql) as StatementName[]).map((k) => [k, plan(db, sql[k])])) as Record<StatementName, string>;

  it('never scans the log table or sorts it', () => {
    for (const [name, p] of Object.entries(plans)) {
      assert.doesNotMatch(p, /SCAN kv_log\b|SCAN kv\b|SCAN c\b|SCAN m\b|SCAN p\b/, `${name}: ${p}`);
      assert.doesNotMatch(p, /TEMP B-TREE/, `${name}: ${p}`);
    }
  });

  it('point reads seek the key index; create checks it without touching the table', () => {
    for (const name of ['latest', 'at', 'latestDeleted'] as const) assert.match(plans[name], /SEARCH kv_log USING (COVERING )?INDEX kv_log_name \(name=\?/, `${name}: ${plans[name]}`);
    assert.match(plans.latestDeleted, /COVERING INDEX/);
  });

  it('lists walk the key index in key order with a seek per key; count only reads the index', () => {
    for (const name of ['list', 'listOpen'] as const) {
      assert.match(plans[name], /SEARCH kv USING INDEX kv_log_name \(name>\?/, `${name}: ${plans[name]}`);
      assert.match(plans[name], /SEARCH m USING COVERING INDEX kv_log_name \(name=\? AND id<\?\)/, `${name}: ${plans[name]}`);
    }
    for (const name of ['count', 'countOpen'] as const) assert.match(plans[name], /COVERING INDEX kv_log_name/, `${name}: ${plans[name]}`);
  });

  it('replay and compaction walk the primary key', () => {
    for (const name of ['replay', 'replayOpen', 'compactSuperseded', 'compactTombstones'] as const) {
      assert.match(plans[name], /USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/, `${name}: ${plans[name]}`);
    }
  });
});
