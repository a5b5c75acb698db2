import type Database from 'better-sqlite3';

/** One step of the journal schema. Published migrations never change; a schema change is a new step. */
export interface SqliteMigration {
  /** Position in the list, from 1, without gaps: the schema version once applied. */
  readonly version: number;
  /** What the step does, recorded in `schema_migrations`. */
  readonly name: string;
  /** The DDL, run in one transaction together with its `schema_migrations` row. */
  readonly sql: string;
}

/**
 * The journal schema, in order. Text columns use the `BINARY` collation (memcmp of UTF-8), so keys
 * sort by Unicode code point, like the in-memory journal and PostgreSQL `COLLATE "C"`.
 */
export const sqliteMigrations: readonly SqliteMigration[] = Object.freeze([
  {
    version: 1,
    name: 'create records',
    sql: `
      CREATE TABLE records (
        collection TEXT NOT NULL COLLATE BINARY,
        key TEXT NOT NULL COLLATE BINARY,
        version INTEGER NOT NULL CHECK (version >= 1),
        value TEXT NOT NULL,
        index_value TEXT COLLATE BINARY,
        updated_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        PRIMARY KEY (collection, key)
      );
      -- count and claim by index; claims hand out the oldest updated_at first, then key order.
      CREATE INDEX records_by_index ON records (collection, index_value, updated_at, key);
    `,
  },
  {
    version: 2,
    name: 'create outbox',
    sql: `
      CREATE TABLE outbox (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        ordering_key TEXT NOT NULL COLLATE BINARY,
        deduplication_id TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at INTEGER NOT NULL,
        available_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        last_error TEXT,
        delivered_at INTEGER
      );
      -- Delivered rows stay (their deduplication ids must stay known); the partial indexes cover
      -- only the undelivered ones, which is all that claims and counts look at.
      -- Head of line: is there an earlier undelivered message with the same ordering key?
      CREATE INDEX outbox_pending_by_ordering_key ON outbox (ordering_key, sequence) WHERE delivered_at IS NULL;
      -- Claims scan the undelivered messages oldest first.
      CREATE INDEX outbox_pending ON outbox (sequence) WHERE delivered_at IS NULL;
      -- Claims and counts filtered by topic.
      CREATE INDEX outbox_pending_by_topic ON outbox (topic, sequence) WHERE delivered_at IS NULL;
    `,
  },
]);

/** The bookkeeping table: one row per applied migration. */
const createMigrationsTable = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )
`;

/**
 * Applies the migrations that are not yet recorded in `schema_migrations`, each in its own
 * `BEGIN IMMEDIATE` transaction together with its bookkeeping row. Idempotent, and safe when
 * several processes open the same file at once: the write lock serializes them and each step
 * checks again, under the lock, whether another process applied it meanwhile.
 *
 * @param database An open, writable connection.
 * @param options `migrations` to apply (all of `sqliteMigrations` by default) and `now`, the time
 *   recorded as `applied_at`.
 * @returns The schema version afterwards.
 * @throws TypeError when the list is not numbered 1, 2, 3, ... in order.
 */
export function applySqliteMigrations(
  database: Database.Database,
  options: { readonly migrations?: readonly SqliteMigration[]; readonly now: () => number },
): number {
  const migrations = options.migrations ?? sqliteMigrations;
  assertNumbering(migrations);
  database.exec(createMigrationsTable);
  const isApplied = database.prepare<[number], number>('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = database.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applyOne = database.transaction((migration: SqliteMigration) => {
    if (isApplied.get(migration.version) !== undefined) return;
    database.exec(migration.sql);
    record.run(migration.version, migration.name, options.now());
  });
  for (const migration of migrations) {
    applyOne.immediate(migration);
  }
  return readSchemaVersion(database);
}

/** The number of applied migrations; 0 when the file has no `schema_migrations` table yet. */
export function readSchemaVersion(database: Database.Database): number {
  const hasTable = database
    .prepare<[], number>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .pluck()
    .get();
  if (hasTable === undefined) return 0;
  return Number(database.prepare<[], number>('SELECT count(*) FROM schema_migrations').pluck().get());
}

function assertNumbering(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((migration, position) => {
    if (migration.version !== position + 1) {
      throw new TypeError(`SQLite journal migration '${migration.name}' has version ${migration.version}; expected ${position + 1} (versions count 1, 2, 3, ... without gaps).`);
    }
  });
}
