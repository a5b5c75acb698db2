import { PaymigrateError } from '@paymigrate/core';
import type pg from 'pg';
import { advisoryLockKey } from './advisory-lock-keys.js';
import type { JournalTables } from './postgres-tables.js';

/** One schema change, applied once per schema in a transaction and recorded in `schema_migrations`. */
export interface PostgresMigration {
  /** 1, 2, 3...: the schema version once it is applied. */
  readonly version: number;
  /** What it does, kebab-case. */
  readonly name: string;
  /** The DDL, for the given tables (several statements, no parameters). */
  readonly statements: (tables: JournalTables) => string;
}

/** What `migratePostgresSchema` did. */
export interface MigrationOutcome {
  /** Versions applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly number[];
  /** The schema version afterwards. */
  readonly version: number;
}

/**
 * The journal's migrations, in order. Append only: a released migration never changes.
 *
 * Keys and collections are `COLLATE "C"`, so key order is code-point (UTF-8 byte) order whatever
 * the database's default collation. Times are epoch milliseconds from the journal's clock
 * (`bigint`), never the server's clock. Delivered outbox rows stay (`delivered_at` set) so their
 * deduplication ids are remembered.
 */
export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'records-and-outbox',
    statements: ({ records, outbox }) => `
      CREATE TABLE ${records} (
        collection text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        value text NOT NULL,
        index_value text COLLATE "C",
        updated_at bigint NOT NULL,
        lease_owner text,
        lease_expires_at bigint,
        PRIMARY KEY (collection, key),
        CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
      );
      CREATE TABLE ${outbox} (
        sequence bigserial PRIMARY KEY,
        topic text NOT NULL,
        ordering_key text NOT NULL,
        deduplication_id text NOT NULL UNIQUE,
        payload text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        enqueued_at bigint NOT NULL,
        available_at bigint NOT NULL,
        lease_owner text,
        lease_expires_at bigint,
        last_error text,
        delivered_at bigint
      );`,
  },
  {
    version: 2,
    name: 'work-queue-indexes',
    statements: ({ records, outbox }) => `
      CREATE INDEX records_claim_order ON ${records} (collection, index_value, updated_at, key) WHERE index_value IS NOT NULL;
      CREATE INDEX records_index_key ON ${records} (collection, index_value, key) WHERE index_value IS NOT NULL;
      CREATE INDEX outbox_pending_sequence ON ${outbox} (sequence) WHERE delivered_at IS NULL;
      CREATE INDEX outbox_pending_ordering_key ON ${outbox} (ordering_key, sequence) WHERE delivered_at IS NULL;`,
  },
];

/**
 * The schema version recorded in the schema (the highest applied migration), 0 when the journal
 * was never opened on it.
 */
export async function readSchemaVersion(client: pg.ClientBase | pg.Pool, tables: JournalTables): Promise<number> {
  const exists = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [tables.migrations]);
  if (exists.rows[0]?.present !== true) return 0;
  const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${tables.migrations}`);
  return result.rows[0]?.version ?? 0;
}

/** Refuses a schema migrated by a newer release: this code would not know its tables. */
function assertNotNewer(version: number, latest: number, tables: JournalTables): void {
  if (version <= latest) return;
  throw new PaymigrateError(
    'JOURNAL_SCHEMA_TOO_NEW',
    `PostgreSQL journal schema '${tables.schemaName}' is at version ${version}, newer than this release knows (${latest}). ` +
      'Upgrade @paymigrate/store-postgres on every process sharing the journal.',
  );
}

/**
 * Brings a journal schema to the latest version. Safe when many processes open the journal at
 * once: the work happens in one transaction holding `pg_advisory_xact_lock` on a key derived from
 * the schema name, so exactly one process applies each migration and the others find them applied.
 * A schema that is already current is recognised without taking the lock or running any DDL, so a
 * role without CREATE privileges can open a migrated journal.
 *
 * @param client A dedicated connection (not a pool: the transaction must stay on one session).
 * @param tables The schema's table names.
 * @param migrations The migrations to apply, in order; all of them by default (tests pass a prefix).
 * @throws PaymigrateError `JOURNAL_SCHEMA_TOO_NEW` when the schema is ahead of `migrations`.
 */
export async function migratePostgresSchema(
  client: pg.ClientBase,
  tables: JournalTables,
  migrations: readonly PostgresMigration[] = postgresMigrations,
): Promise<MigrationOutcome> {
  const latest = migrations.at(-1)?.version ?? 0;
  let outcome: MigrationOutcome = { applied: [], version: await readSchemaVersion(client, tables) };
  if (outcome.version < latest) outcome = await applyPendingMigrations(client, tables, migrations);
  assertNotNewer(outcome.version, latest, tables);
  return outcome;
}

/** Applies, under the migration lock and in one transaction, the migrations the schema lacks. */
async function applyPendingMigrations(client: pg.ClientBase, tables: JournalTables, migrations: readonly PostgresMigration[]): Promise<MigrationOutcome> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`paymigrate.journal.migrations:${tables.schemaName}`)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${tables.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    let version = await readSchemaVersion(client, tables);
    const applied: number[] = [];
    for (const migration of migrations.filter((candidate) => candidate.version > version)) {
      await client.query(migration.statements(tables));
      await client.query(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
      version = migration.version;
    }
    await client.query('COMMIT');
    return { applied, version };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
