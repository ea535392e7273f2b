/**
 * Every SQL statement the SQLite backend runs, as data (kine keeps its dialects the same way).
 *
 * The log: one row per revision. `id` is the revision (the store assigns it, being the only
 * writer; no AUTOINCREMENT, which would cost a second b-tree write per insert), `name` the key,
 * `deleted` marks a delete's tombstone (whose `value` is the deleted value), `create_revision`
 * the revision that created the key, `prev_revision` the row this one replaced (0 for a create). `kv_log_name` (name, id, deleted) serves get (newest row of a key at
 * or below a revision: one index seek) and prefix scans in key order, and covers count; the
 * primary key serves watch replay (rows after a revision) and compaction.
 *
 * Prefix scans take a key range [lo, hi); the `*Open` variants have no upper bound (prefix '').
 * Named parameters: :lo :hi :rev :limit :after :upTo :name :from :to.
 */
export const SCHEMA_VERSION = 1;

/**
 * Set first when the store owns the file (the default): the connection takes the file's lock at
 * open and keeps it, so a second process or store on the same file fails at open instead of
 * writing beside this one (revisions are assigned in memory by the one writer). With WAL this
 * also keeps the WAL index in process memory (no -shm file).
 */
export const exclusivePragma = 'locking_mode = EXCLUSIVE';

export const pragmas: readonly string[] = [
  'journal_mode = WAL',
  // WAL + NORMAL: a commit survives a crash of the process (not of the machine's power).
  'synchronous = NORMAL',
  'cache_size = -32768',
  'temp_store = MEMORY',
  'mmap_size = 268435456',
];

export const schema: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS kv_log (
     id              INTEGER PRIMARY KEY,
     name            TEXT    NOT NULL,
     deleted         INTEGER NOT NULL,
     create_revision INTEGER NOT NULL,
     prev_revision   INTEGER NOT NULL,
     value           TEXT    NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS kv_log_name ON kv_log (name, id, deleted)',
  'CREATE TABLE IF NOT EXISTS kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID',
  `INSERT INTO kv_meta (name, value) VALUES ('schema_version', ${SCHEMA_VERSION}) ON CONFLICT (name) DO NOTHING`,
];

const row = 'id, name, deleted, create_revision, value';

/** The newest version of a key at or below :rev where the row is that key's newest at :rev. */
const newestAt = 'kv.id = (SELECT MAX(m.id) FROM kv_log AS m WHERE m.name = kv.name AND m.id <= :rev)';

export const sql = {
  schemaVersion: `SELECT value FROM kv_meta WHERE name = 'schema_version'`,
  /**
   * The newest revision: the highest row, or the compact revision if higher (compaction may have
   * removed the newest rows, tombstones; it never removes a row above the compact revision).
   */
  currentRevision: `SELECT MAX(COALESCE((SELECT MAX(id) FROM kv_log), 0),
                               COALESCE((SELECT value FROM kv_meta WHERE name = 'compact_revision'), 0)) AS rev`,
  compactRevision: `SELECT value FROM kv_meta WHERE name = 'compact_revision'`,
  setCompactRevision: `INSERT INTO kv_meta (name, value) VALUES ('compact_revision', :rev)
                       ON CONFLICT (name) DO UPDATE SET value = excluded.value`,

  /** Newest row of one key (any state). */
  latest: `SELECT ${row}, prev_revision FROM kv_log WHERE name = :name ORDER BY id DESC LIMIT 1`,
  /** Whether the newest row of a key is a tombstone (index only: what create needs). */
  latestDeleted: `SELECT deleted FROM kv_log WHERE name = :name ORDER BY id DESC LIMIT 1`,
  /** Newest row of one key at or below :rev. */
  at: `SELECT ${row} FROM kv_log WHERE name = :name AND id <= :rev ORDER BY id DESC LIMIT 1`,

  insert: `INSERT INTO kv_log (id, name, deleted, create_revision, prev_revision, value)
           VALUES (:id, :name, :deleted, :createRevision, :prevRevision, :value)`,

  /** Live keys in [lo, hi) at :rev, in key order (columns in this order: read as arrays). :limit -1 = all. Walks kv_log_name in order; a page costs only its own rows. */
  list: `SELECT kv.id, kv.name, kv.create_revision, kv.value FROM kv_log AS kv INDEXED BY kv_log_name
         WHERE kv.name >= :lo AND kv.name < :hi AND ${newestAt} AND kv.deleted = 0
         ORDER BY kv.name LIMIT :limit`,
  listOpen: `SELECT kv.id, kv.name, kv.create_revision, kv.value FROM kv_log AS kv INDEXED BY kv_log_name
             WHERE kv.name >= :lo AND ${newestAt} AND kv.deleted = 0
             ORDER BY kv.name LIMIT :limit`,

  /** Live keys in [lo, hi) at :rev: one pass over the covering index, grouped by key. */
  count: `SELECT COUNT(*) AS n FROM
            (SELECT MAX(id) AS id, deleted FROM kv_log INDEXED BY kv_log_name
             WHERE name >= :lo AND name < :hi AND id <= :rev GROUP BY name)
          WHERE deleted = 0`,
  countOpen: `SELECT COUNT(*) AS n FROM
                (SELECT MAX(id) AS id, deleted FROM kv_log INDEXED BY kv_log_name
                 WHERE name >= :lo AND id <= :rev GROUP BY name)
              WHERE deleted = 0`,

  /** Rows in (:after, :upTo] under [lo, hi), in revision order, each with the row it replaced. */
  replay: `SELECT c.id, c.name, c.deleted, c.create_revision, c.value,
                  p.id AS p_id, p.create_revision AS p_create_revision, p.value AS p_value
           FROM kv_log AS c LEFT JOIN kv_log AS p ON p.id = c.prev_revision
           WHERE c.id > :after AND c.id <= :upTo AND c.name >= :lo AND c.name < :hi
           ORDER BY c.id LIMIT :limit`,
  replayOpen: `SELECT c.id, c.name, c.deleted, c.create_revision, c.value,
                      p.id AS p_id, p.create_revision AS p_create_revision, p.value AS p_value
               FROM kv_log AS c LEFT JOIN kv_log AS p ON p.id = c.prev_revision
               WHERE c.id > :after AND c.id <= :upTo AND c.name >= :lo
               ORDER BY c.id LIMIT :limit`,

  /**
   * Compaction of the revisions (:from, :to]: first the rows superseded by a write in that
   * range, then the tombstones in it. Run in this order, inside one transaction per range.
   */
  compactSuperseded: `DELETE FROM kv_log WHERE id IN
                        (SELECT prev_revision FROM kv_log WHERE id > :from AND id <= :to AND prev_revision > 0)`,
  compactTombstones: `DELETE FROM kv_log WHERE id > :from AND id <= :to AND deleted = 1`,
} as const;

export type StatementName = keyof typeof sql;
